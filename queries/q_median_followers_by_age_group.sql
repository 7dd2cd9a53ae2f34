-- The median follower count per age group (exact: the mean of the middle two for an even
-- count, Spark's percentile(x, 0.5); null follower counts ignored).
SELECT CASE WHEN user.age BETWEEN 18 AND 24 THEN '18-24'
              WHEN user.age BETWEEN 25 AND 35 THEN '25-35'
              WHEN user.age BETWEEN 36 AND 50 THEN '36-50'
              WHEN user.age > 50 THEN '+50' END AS age_group,
       median(pin.follower_count) AS median_follower_count
FROM pin
JOIN geo ON geo.ind = pin.ind
JOIN user ON user.ind = pin.ind
WHERE age_group IS NOT NULL
GROUP BY age_group;
