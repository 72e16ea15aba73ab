-- name: mart.f_sales
-- description: One row per order line (uniq_id; staging already dropped the identical copies).
--   A refunded line counts negative: quantity and payment_amount change sign, refund_flag is true.
--   A run replaces exactly its dates.
-- depends_on: staging.user_order_log
-- materialized: incremental_by_date
-- date_column: date
-- test: unique(uniq_id)
-- test: accepted_values(status: shipped | refunded)
-- test: not_null(date, item_id, customer_id)
SELECT CAST(date_time AS DATE) AS date,
       CAST(EXTRACT(year FROM date_time) * 10000 + EXTRACT(month FROM date_time) * 100 + EXTRACT(day FROM date_time)
            AS INTEGER) AS date_id,
       uniq_id,
       item_id,
       customer_id,
       city_id,
       CASE WHEN status = 'refunded' THEN -quantity ELSE quantity END AS quantity,
       CASE WHEN status = 'refunded' THEN -payment_amount ELSE payment_amount END AS payment_amount,
       status = 'refunded' AS refund_flag,
       status
FROM {{ staging }}.user_order_log
WHERE CAST(date_time AS DATE) BETWEEN DATE '{{ start }}' AND DATE '{{ end }}'
