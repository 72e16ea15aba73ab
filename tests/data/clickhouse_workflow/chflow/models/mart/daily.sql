-- name: mart.daily
-- description: Revenue per day.
-- materialized: table
-- unique_key: day
SELECT day, sum(amount) AS revenue, count(*) AS orders
FROM {{ staging }}.orders
GROUP BY day
