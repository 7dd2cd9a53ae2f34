-- The median follower count per year of user.date_joined, 2015 to 2020.
SELECT CAST(strftime('%Y', user.date_joined) AS INTEGER) AS post_year,
       median(pin.follower_count) AS median_follower_count
FROM pin
JOIN geo ON geo.ind = pin.ind
JOIN user ON user.ind = pin.ind
WHERE user.date_joined >= '2015-01-01' AND user.date_joined < '2021-01-01'  -- years 2015 to 2020
GROUP BY post_year;
