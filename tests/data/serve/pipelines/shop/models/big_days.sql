-- name: mart.big_days
-- description: Days with more than one order; fails until the missing column is fixed.
-- depends_on: mart.daily_revenue
-- materialized: table
SELECT day, revenue
FROM {{ mart }}.daily_revenue
WHERE orders_missing > 1
