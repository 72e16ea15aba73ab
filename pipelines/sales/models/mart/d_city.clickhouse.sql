-- ClickHouse variant of d_city.sql (header there): no window functions in 18.16, so the latest line's name is
-- argMax over (date_time, uniq_id), DuckDB's order (timestamps are text that sorts like the instants). The name is
-- wrapped in a tuple: argMax skips NULL arguments, and a NULL name on the latest line must win as it does there.
SELECT city_id, tupleElement(latest, 1) AS city_name
FROM (SELECT city_id, argMax(tuple(city_name), (date_time, uniq_id)) AS latest
      FROM {{ staging }}.user_order_log
      GROUP BY city_id) AS named
