-- Users joined per year of user.date_joined, 2015 to 2020 (the year is named post_year, as in
-- the original): the posts of that year with a user_name.
SELECT CAST(strftime('%Y', user.date_joined) AS INTEGER) AS post_year,
       count(user.user_name) AS number_users_joined
FROM pin
JOIN geo ON geo.ind = pin.ind
JOIN user ON user.ind = pin.ind
WHERE user.date_joined >= '2015-01-01' AND user.date_joined < '2021-01-01'  -- years 2015 to 2020
GROUP BY post_year;
