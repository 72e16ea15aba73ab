-- ClickHouse variant of retention.sql (header there): 18.16 has no WITH and one JOIN per SELECT, so the periods
-- shown are an IN subquery, and the item names one LEFT JOIN on a key of the same type on both sides (d_item's
-- ids come from staging, Nullable there).
SELECT period_id AS {{ period_unit }},
       item_id,
       item_name AS item,
       new_customers_count AS new_customers,
       returning_customers_count AS returning_customers,
       refunded_customer_count AS refunded_customers,
       new_customers_revenue AS new_revenue,
       returning_customers_revenue AS returning_revenue,
       customers_refunded AS refunded_lines
FROM (
    SELECT period_id, item_id, toNullable(item_id) AS item_key, new_customers_count, returning_customers_count,
           refunded_customer_count, new_customers_revenue, returning_customers_revenue, customers_refunded
    FROM {{ mart }}.f_customer_retention
    WHERE period_name = '{{ period }}'
      AND period_id IN (SELECT period_id
                        FROM (SELECT DISTINCT period_id
                              FROM {{ mart }}.f_customer_retention
                              WHERE period_name = '{{ period }}' AND period_id BETWEEN '{{ from }}' AND '{{ to }}'
                              ORDER BY period_id DESC
                              LIMIT {{ top }}) AS shown)
) AS retention
ALL LEFT JOIN (SELECT item_id AS item_key, item_name FROM {{ mart }}.d_item) AS items USING (item_key)
ORDER BY period_id DESC, item_id
