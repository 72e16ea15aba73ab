-- title: Revenue per day
-- chart_label: day
-- chart_value: revenue
SELECT CAST(day AS TEXT) AS day, revenue, orders FROM {{ mart }}.daily_revenue ORDER BY day LIMIT {{ top }}
