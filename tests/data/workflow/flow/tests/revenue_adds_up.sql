-- The daily revenue adds up to the total: a row here is a day set that does not.
SELECT totals.revenue AS total, sum(daily.revenue) AS days
FROM {{ mart }}.totals AS totals CROSS JOIN {{ mart }}.daily AS daily
GROUP BY totals.revenue
HAVING totals.revenue <> sum(daily.revenue);
