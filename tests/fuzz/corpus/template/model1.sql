-- name: mart.d_city
-- description: Cities; the name of an id's latest order line wins.
-- depends_on: staging.user_order_log
-- materialized: table
-- test: unique(city_id)
SELECT city_id, city_name
FROM (SELECT city_id, city_name,
             row_number() OVER (PARTITION BY city_id ORDER BY date_time DESC, uniq_id DESC) AS recency
      FROM {{ staging }}.user_order_log) AS named
WHERE recency = 1
