-- name: mart.daily
-- description: Revenue per day; its dependency (staging.orders) comes from the SQL.
-- materialized: table
-- tags: daily
-- test: unique(day)
SELECT day, sum(amount) AS revenue, count(*) AS orders
FROM {{ staging }}.orders
GROUP BY day
