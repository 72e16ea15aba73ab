-- name: mart.cities
-- description: Customers per city.
-- materialized: table
-- unique_key: city
SELECT city, count(*) AS customers FROM {{ staging }}.customers GROUP BY city
