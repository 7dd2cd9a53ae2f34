-- The poster with the most followers per country, and that follower count; ties to the
-- smallest poster_name (max_by is Spark's, with pinstream's deterministic tie-break). Posts
-- without a follower count do not compete; a country with none gets nulls.
SELECT geo.country,
       max_by(pin.poster_name, pin.follower_count) AS poster_name,
       max(pin.follower_count) AS follower_count
FROM pin
JOIN geo ON geo.ind = pin.ind
JOIN user ON user.ind = pin.ind
GROUP BY geo.country;
