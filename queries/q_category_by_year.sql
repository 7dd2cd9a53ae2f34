-- The most popular category per year of the post (geo.timestamp), 2018 to 2022, with its
-- count; ties to the smallest category.
WITH counts AS (
  SELECT year(geo.timestamp) AS post_year, pin.category, count(*) AS n
  FROM pin
  JOIN geo ON geo.ind = pin.ind
  JOIN user ON user.ind = pin.ind
  WHERE post_year BETWEEN 2018 AND 2022
  GROUP BY post_year, pin.category
),
ranked AS (
  SELECT post_year, category, n,
         row_number() OVER (PARTITION BY post_year
                            ORDER BY category IS NULL, n DESC, category) AS rank
  FROM counts
)
SELECT post_year,
       category,
       CASE WHEN category IS NULL THEN NULL ELSE n END AS category_count
FROM ranked
WHERE rank = 1;
