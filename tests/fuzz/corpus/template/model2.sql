-- name: mart.d_customer
-- description: Customers with the name and city of their latest order line.
-- depends_on: staging.user_order_log
-- materialized: table
-- test: unique(customer_id)
SELECT customer_id, first_name, last_name, city_id
FROM (SELECT customer_id, first_name, last_name, city_id,
             row_number() OVER (PARTITION BY customer_id ORDER BY date_time DESC, uniq_id DESC) AS recency
      FROM {{ staging }}.user_order_log) AS named
WHERE recency = 1
