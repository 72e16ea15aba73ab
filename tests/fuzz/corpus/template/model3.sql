-- name: mart.d_item
-- description: Items; when an id's name changes, the name of its latest order line wins (an upsert by date).
-- depends_on: staging.user_order_log
-- materialized: table
-- test: unique(item_id)
SELECT item_id, item_name
FROM (SELECT item_id, item_name,
             row_number() OVER (PARTITION BY item_id ORDER BY date_time DESC, uniq_id DESC) AS recency
      FROM {{ staging }}.user_order_log) AS named
WHERE recency = 1
