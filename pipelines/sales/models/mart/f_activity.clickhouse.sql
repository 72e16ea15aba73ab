-- ClickHouse variant of f_activity.sql (header there): the day of text timestamps (day_of), the staging
-- column read under another name than the sum's alias (18.16 resolves the alias first).
SELECT date,
       action_id,
       count() AS events,
       uniqExact(customer_id) AS customers,
       sum(action_quantity) AS quantity
FROM (SELECT day_of(date_time) AS date, action_id, customer_id, quantity AS action_quantity
      FROM {{ staging }}.user_activity_log
      WHERE day_of(date_time) BETWEEN toDate('{{ start }}') AND toDate('{{ end }}')) AS actions
GROUP BY date, action_id
