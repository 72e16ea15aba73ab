-- name: mart.totals
-- description: Revenue over every day.
-- materialized: table
SELECT sum(revenue) AS revenue, sum(orders) AS orders FROM {{ mart }}.daily
