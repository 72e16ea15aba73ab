-- ClickHouse variant of d_item.sql (header there): the latest line's name by argMax, as d_city.clickhouse.sql.
SELECT item_id, tupleElement(latest, 1) AS item_name
FROM (SELECT item_id, argMax(tuple(item_name), (date_time, uniq_id)) AS latest
      FROM {{ staging }}.user_order_log
      GROUP BY item_id) AS named
