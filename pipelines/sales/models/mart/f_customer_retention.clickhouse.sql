-- ClickHouse variant of f_customer_retention.sql (header there). 18.16 has no generate_series, no WITH, no FILTER
-- and no temporary tables outside a session; but labels 'YYYY-Www' and 'YYYY-MM' sort like the periods, so the
-- periods that contain the run's dates are those between the labels of its first and last day. The DELETE is a
-- mutation the driver waits for; a rerun deletes and inserts the same periods again. Lines whose refund_flag is
-- NULL count as neither shipped nor refunded, as FILTER leaves them out there.
CREATE TABLE IF NOT EXISTS {{ this }} (
    period_name TEXT NOT NULL,
    period_id TEXT NOT NULL,
    item_id BIGINT NOT NULL,
    new_customers_count BIGINT NOT NULL,
    returning_customers_count BIGINT NOT NULL,
    refunded_customer_count BIGINT NOT NULL,
    new_customers_revenue DECIMAL(18,2) NOT NULL,
    returning_customers_revenue DECIMAL(18,2) NOT NULL,
    customers_refunded BIGINT NOT NULL
);

DELETE FROM {{ this }}
WHERE (period_name = 'weekly'
       AND period_id BETWEEN iso_week_label(toDate('{{ start }}')) AND iso_week_label(toDate('{{ end }}')))
   OR (period_name = 'monthly'
       AND period_id BETWEEN month_label(toDate('{{ start }}')) AND month_label(toDate('{{ end }}')));

INSERT INTO {{ this }}
SELECT period_name,
       period_id,
       item_id,
       countIf(shipped_lines = 1) AS new_customers_count,
       countIf(shipped_lines > 1) AS returning_customers_count,
       countIf(refunded_lines > 0) AS refunded_customer_count,
       sumIf(shipped_revenue, shipped_lines = 1) AS new_customers_revenue,
       sumIf(shipped_revenue, shipped_lines > 1) AS returning_customers_revenue,
       sum(refunded_lines) AS customers_refunded
FROM (
    SELECT period_name, period_id, item_id, customer_id,
           countIf(is_shipped) AS shipped_lines,
           countIf(is_refunded) AS refunded_lines,
           sumIf(payment_amount, is_shipped) AS shipped_revenue
    FROM (
        SELECT 'weekly' AS period_name, iso_week_label(date) AS period_id, item_id, customer_id, payment_amount,
               ifNull(refund_flag = 0, 0) AS is_shipped, ifNull(refund_flag = 1, 0) AS is_refunded
        FROM {{ mart }}.f_sales
        WHERE iso_week_label(date) BETWEEN iso_week_label(toDate('{{ start }}')) AND iso_week_label(toDate('{{ end }}'))
        UNION ALL
        SELECT 'monthly' AS period_name, month_label(date) AS period_id, item_id, customer_id, payment_amount,
               ifNull(refund_flag = 0, 0) AS is_shipped, ifNull(refund_flag = 1, 0) AS is_refunded
        FROM {{ mart }}.f_sales
        WHERE month_label(date) BETWEEN month_label(toDate('{{ start }}')) AND month_label(toDate('{{ end }}'))
    ) AS lines
    GROUP BY period_name, period_id, item_id, customer_id
) AS per_customer
GROUP BY period_name, period_id, item_id;
