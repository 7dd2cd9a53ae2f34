-- Users joined per year of user.date_joined, 2015 to 2020 (the year is named post_year, as in
-- the original): the posts of that year with a user_name.
SELECT year(user.date_joined) AS post_year,
       count(user.user_name) AS number_users_joined
FROM pin
JOIN geo ON geo.ind = pin.ind
JOIN user ON user.ind = pin.ind
WHERE post_year BETWEEN 2015 AND 2020
GROUP BY post_year;
