-- name: mart.customer_list
-- depends_on: staging.customers
-- materialized: view
SELECT id, city FROM {{ staging }}.customers
