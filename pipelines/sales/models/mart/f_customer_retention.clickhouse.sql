-- ClickHouse variant of f_customer_retention.sql (header there). 18.16 has no generate_series, no WITH, no FILTER
-- and no transactions, so this is one SELECT that the engine builds as a table (the line below): on a cluster a
-- table on every shard, filled in NAME__new and swapped in with RENAME on each, so a failed run leaves the previous
-- rows. It rebuilds every period from every f_sales row of it, which gives the periods of the run's dates what the
-- other warehouses give them, and leaves the others as they were (their f_sales rows are unchanged). Lines whose
-- refund_flag is NULL count as neither shipped nor refunded, as FILTER leaves them out there.
-- clickhouse: a table
SELECT period_name,
       period_id,
       toInt64(item_id) AS item_id,
       toInt64(countIf(shipped_lines = 1)) AS new_customers_count,
       toInt64(countIf(shipped_lines > 1)) AS returning_customers_count,
       toInt64(countIf(refunded_lines > 0)) AS refunded_customer_count,
       toDecimal64(sumIf(shipped_revenue, shipped_lines = 1), 2) AS new_customers_revenue,
       toDecimal64(sumIf(shipped_revenue, shipped_lines > 1), 2) AS returning_customers_revenue,
       toInt64(sum(refunded_lines)) AS customers_refunded
FROM (
    SELECT period_name, period_id, item_id, customer_id,
           countIf(is_shipped) AS shipped_lines,
           countIf(is_refunded) AS refunded_lines,
           sumIf(payment_amount, is_shipped) AS shipped_revenue
    FROM (
        SELECT 'weekly' AS period_name, iso_week_label(date) AS period_id, item_id, customer_id, payment_amount,
               ifNull(refund_flag = 0, 0) AS is_shipped, ifNull(refund_flag = 1, 0) AS is_refunded
        FROM {{ mart }}.f_sales
        UNION ALL
        SELECT 'monthly' AS period_name, month_label(date) AS period_id, item_id, customer_id, payment_amount,
               ifNull(refund_flag = 0, 0) AS is_shipped, ifNull(refund_flag = 1, 0) AS is_refunded
        FROM {{ mart }}.f_sales
    ) AS lines
    GROUP BY period_name, period_id, item_id, customer_id
) AS per_customer
GROUP BY period_name, period_id, item_id
