-- name: mart.f_customer_retention
-- description: Per period (ISO week 'weekly' 2024-W08, month 'monthly' 2024-02) and item: customers with exactly one
--   shipped line (new), more than one (returning), at least one refunded line (refunded), the shipped revenue of
--   new and returning customers, and the number of refunded lines. A run rebuilds exactly the periods that
--   contain its dates, from every f_sales row of those periods. Definitions: docs/semantics.md.
-- depends_on: mart.f_sales
-- materialized: script
-- test: unique(period_name, period_id, item_id)
CREATE TABLE IF NOT EXISTS {{ this }} (
    period_name TEXT NOT NULL,
    period_id TEXT NOT NULL,
    item_id BIGINT NOT NULL,
    new_customers_count BIGINT NOT NULL,
    returning_customers_count BIGINT NOT NULL,
    refunded_customer_count BIGINT NOT NULL,
    new_customers_revenue DECIMAL(18,2) NOT NULL,
    returning_customers_revenue DECIMAL(18,2) NOT NULL,
    customers_refunded BIGINT NOT NULL
);

CREATE TEMPORARY TABLE retention_periods AS
SELECT DISTINCT 'weekly' AS period_name, iso_week_label(day) AS period_id
FROM generate_series(TIMESTAMP '{{ start }}', TIMESTAMP '{{ end }}', INTERVAL '1 day') AS days(day)
UNION
SELECT DISTINCT 'monthly', month_label(day)
FROM generate_series(TIMESTAMP '{{ start }}', TIMESTAMP '{{ end }}', INTERVAL '1 day') AS days(day);

DELETE FROM {{ this }}
WHERE EXISTS (SELECT 1 FROM retention_periods AS periods
              WHERE periods.period_name = {{ this }}.period_name AND periods.period_id = {{ this }}.period_id);

INSERT INTO {{ this }}
WITH lines AS (
    SELECT 'weekly' AS period_name, iso_week_label(date) AS period_id, item_id, customer_id, refund_flag, payment_amount
    FROM {{ mart }}.f_sales
    UNION ALL
    SELECT 'monthly', month_label(date), item_id, customer_id, refund_flag, payment_amount
    FROM {{ mart }}.f_sales
),
per_customer AS (
    SELECT lines.period_name, lines.period_id, item_id, customer_id,
           count(*) FILTER (WHERE NOT refund_flag) AS shipped_lines,
           count(*) FILTER (WHERE refund_flag) AS refunded_lines,
           coalesce(sum(payment_amount) FILTER (WHERE NOT refund_flag), 0) AS shipped_revenue
    FROM lines
    JOIN retention_periods AS periods ON periods.period_name = lines.period_name AND periods.period_id = lines.period_id
    GROUP BY lines.period_name, lines.period_id, item_id, customer_id
)
SELECT period_name,
       period_id,
       item_id,
       count(*) FILTER (WHERE shipped_lines = 1) AS new_customers_count,
       count(*) FILTER (WHERE shipped_lines > 1) AS returning_customers_count,
       count(*) FILTER (WHERE refunded_lines > 0) AS refunded_customer_count,
       CAST(coalesce(sum(shipped_revenue) FILTER (WHERE shipped_lines = 1), 0) AS DECIMAL(18,2)) AS new_customers_revenue,
       CAST(coalesce(sum(shipped_revenue) FILTER (WHERE shipped_lines > 1), 0) AS DECIMAL(18,2)) AS returning_customers_revenue,
       CAST(sum(refunded_lines) AS BIGINT) AS customers_refunded
FROM per_customer
GROUP BY period_name, period_id, item_id;

DROP TABLE retention_periods;
