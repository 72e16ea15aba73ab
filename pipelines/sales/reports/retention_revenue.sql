-- title: Revenue from new vs returning customers per week (last {{ top }} weeks)
-- chart_label: week
-- chart_value: new_revenue, returning_revenue
-- chart_unit:  ₽
SELECT period_id AS week,
       sum(new_customers_revenue) AS new_revenue,
       sum(returning_customers_revenue) AS returning_revenue,
       sum(new_customers_count) AS new_customers,
       sum(returning_customers_count) AS returning_customers
FROM {{ mart }}.f_customer_retention
WHERE period_name = 'weekly' AND period_id BETWEEN '{{ from }}' AND '{{ to }}'
GROUP BY period_id
ORDER BY period_id DESC
LIMIT {{ top }}
