-- title: Revenue from new vs returning customers per {{ period_unit }} ({{ span }})
-- description: Shipped revenue per period, summed over items (revenue adds up across items; customer counts would
--   count a customer once per item, so they are left to the retention report).
-- periods: weekly, monthly
-- chart_label: {{ period_unit }}
-- chart_value: new_revenue, returning_revenue
-- chart_legend: New customers, Returning customers
-- chart_axis: Shipped revenue per {{ period_unit }}
-- chart_currency: ₽
SELECT period_id AS {{ period_unit }},
       sum(new_customers_revenue) AS new_revenue,
       sum(returning_customers_revenue) AS returning_revenue
FROM {{ mart }}.f_customer_retention
WHERE period_name = '{{ period }}' AND period_id BETWEEN '{{ from }}' AND '{{ to }}'
GROUP BY period_id
ORDER BY period_id DESC
LIMIT {{ top }}
