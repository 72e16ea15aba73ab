-- name: mart.daily_revenue
-- description: Revenue per day.
-- depends_on: staging.orders
-- materialized: table
SELECT day, sum(amount) AS revenue, count(*) AS orders
FROM {{ staging }}.orders
GROUP BY day
