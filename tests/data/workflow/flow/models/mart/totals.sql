-- name: mart.totals
-- materialized: table
-- tags: daily, finance
-- test: not_null(revenue)
-- test: row_count(min=1, max=1)
SELECT sum(revenue) AS revenue, sum(orders) AS orders FROM {{ mart }}.daily
