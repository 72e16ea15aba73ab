-- title: Customer retention per {{ period_unit }} and item ({{ span }})
-- description: New customers bought an item once in the period, returning ones more than once; refunded ones had a
--   refunded line. Weekly (ISO weeks, 2024-W08) or monthly (2024-02), each counted from the period's own order lines
--   (mart.f_customer_retention; docs/semantics.md): a month's customers are not the sum of its weeks'.
-- periods: weekly, monthly
-- chart_report: retention_revenue
WITH periods AS (
    SELECT DISTINCT period_id
    FROM {{ mart }}.f_customer_retention
    WHERE period_name = '{{ period }}' AND period_id BETWEEN '{{ from }}' AND '{{ to }}'
    ORDER BY period_id DESC
    LIMIT {{ top }}
)
SELECT retention.period_id AS {{ period_unit }},
       retention.item_id,
       items.item_name AS item,
       retention.new_customers_count AS new_customers,
       retention.returning_customers_count AS returning_customers,
       retention.refunded_customer_count AS refunded_customers,
       retention.new_customers_revenue AS new_revenue,
       retention.returning_customers_revenue AS returning_revenue,
       retention.customers_refunded AS refunded_lines
FROM {{ mart }}.f_customer_retention AS retention
JOIN periods ON periods.period_id = retention.period_id
LEFT JOIN {{ mart }}.d_item AS items ON items.item_id = retention.item_id
WHERE retention.period_name = '{{ period }}'
ORDER BY retention.period_id DESC, retention.item_id
