-- ClickHouse variant of d_customer.sql (header there): the latest line's name and city by argMax, as
-- d_city.clickhouse.sql.
SELECT customer_id,
       tupleElement(latest, 1) AS first_name,
       tupleElement(latest, 2) AS last_name,
       tupleElement(latest, 3) AS city_id
FROM (SELECT customer_id, argMax(tuple(first_name, last_name, city_id), (date_time, uniq_id)) AS latest
      FROM {{ staging }}.user_order_log
      GROUP BY customer_id) AS named
