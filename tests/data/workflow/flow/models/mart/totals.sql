-- name: mart.totals
-- materialized: table
-- tags: daily, finance
-- test: not_null(revenue)
SELECT sum(revenue) AS revenue, sum(orders) AS orders FROM {{ mart }}.daily
