-- The median follower count per age group and year of user.date_joined, 2015 to 2020.
SELECT CASE WHEN user.age BETWEEN 18 AND 24 THEN '18-24'
              WHEN user.age BETWEEN 25 AND 35 THEN '25-35'
              WHEN user.age BETWEEN 36 AND 50 THEN '36-50'
              WHEN user.age > 50 THEN '+50' END AS age_group,
       year(user.date_joined) AS post_year,
       median(pin.follower_count) AS median_follower_count
FROM pin
JOIN geo ON geo.ind = pin.ind
JOIN user ON user.ind = pin.ind
WHERE age_group IS NOT NULL
  AND post_year BETWEEN 2015 AND 2020
GROUP BY age_group, post_year;
