-- The median follower count per year of user.date_joined, 2015 to 2020.
SELECT year(user.date_joined) AS post_year,
       median(pin.follower_count) AS median_follower_count
FROM pin
JOIN geo ON geo.ind = pin.ind
JOIN user ON user.ind = pin.ind
WHERE post_year BETWEEN 2015 AND 2020
GROUP BY post_year;
