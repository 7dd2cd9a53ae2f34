-- The most popular category per age group of the poster (18-24, 25-35, 36-50, +50; other or
-- unknown ages count in none), with its count; ties to the smallest category.
WITH counts AS (
  SELECT CASE WHEN user.age BETWEEN 18 AND 24 THEN '18-24'
              WHEN user.age BETWEEN 25 AND 35 THEN '25-35'
              WHEN user.age BETWEEN 36 AND 50 THEN '36-50'
              WHEN user.age > 50 THEN '+50' END AS age_group,
         pin.category, count(*) AS n
  FROM pin
  JOIN geo ON geo.ind = pin.ind
  JOIN user ON user.ind = pin.ind
  WHERE age_group IS NOT NULL
  GROUP BY age_group, pin.category
),
ranked AS (
  SELECT age_group, category, n,
         row_number() OVER (PARTITION BY age_group
                            ORDER BY category IS NULL, n DESC, category) AS rank
  FROM counts
)
SELECT age_group,
       category,
       CASE WHEN category IS NULL THEN NULL ELSE n END AS category_count
FROM ranked
WHERE rank = 1;
