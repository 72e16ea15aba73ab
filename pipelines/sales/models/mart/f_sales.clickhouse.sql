-- ClickHouse variant of f_sales.sql (header there). Timestamps are text there (day_of, macros/clickhouse.sql);
-- 18.16 resolves an alias before a column of the same name, so the staging columns are read under other names;
-- its if() answers NULL for a NULL condition where CASE takes the ELSE branch, hence ifNull.
SELECT date,
       toInt32(toYYYYMMDD(date)) AS date_id,
       uniq_id,
       item_id,
       customer_id,
       city_id,
       if(ifNull(line_status = 'refunded', 0), -line_quantity, line_quantity) AS quantity,
       if(ifNull(line_status = 'refunded', 0), -line_amount, line_amount) AS payment_amount,
       line_status = 'refunded' AS refund_flag,
       line_status AS status
FROM (SELECT day_of(date_time) AS date, uniq_id, item_id, customer_id, city_id, quantity AS line_quantity,
             payment_amount AS line_amount, status AS line_status
      FROM {{ staging }}.user_order_log
      WHERE day_of(date_time) BETWEEN toDate('{{ start }}') AND toDate('{{ end }}')) AS lines
