-- The most popular category per country (SPEC §6): pin, geo and user joined on ind (a post
-- counts once all three rows exist), the most frequent category of each country with its
-- count, ties to the smallest category. A country whose posts all lack a category gets nulls.
WITH counts AS (
  SELECT geo.country, pin.category, count(*) AS n
  FROM pin
  JOIN geo ON geo.ind = pin.ind
  JOIN user ON user.ind = pin.ind
  GROUP BY geo.country, pin.category
),
ranked AS (
  SELECT country, category, n,
         row_number() OVER (PARTITION BY country
                            ORDER BY category IS NULL, n DESC, category) AS rank
  FROM counts
)
SELECT country,
       category,
       CASE WHEN category IS NULL THEN NULL ELSE n END AS category_count
FROM ranked
WHERE rank = 1;
