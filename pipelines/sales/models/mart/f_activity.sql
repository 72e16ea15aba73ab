-- name: mart.f_activity
-- description: Site activity per day and action: events, distinct customers, total quantity.
-- depends_on: staging.user_activity_log
-- materialized: incremental_by_date
-- date_column: date
SELECT CAST(date_time AS DATE) AS date,
       action_id,
       count(*) AS events,
       count(DISTINCT customer_id) AS customers,
       sum(quantity) AS quantity
FROM {{ staging }}.user_activity_log
WHERE CAST(date_time AS DATE) BETWEEN DATE '{{ start }}' AND DATE '{{ end }}'
GROUP BY CAST(date_time AS DATE), action_id
