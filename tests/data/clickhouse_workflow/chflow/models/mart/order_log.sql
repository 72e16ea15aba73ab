-- name: mart.order_log
-- description: Every order, kept day by day (a run replaces its dates).
-- materialized: incremental_by_date
-- date_column: day
-- unique_key: id
SELECT day, id, amount FROM {{ staging }}.orders WHERE day BETWEEN DATE '{{ start }}' AND DATE '{{ end }}'
