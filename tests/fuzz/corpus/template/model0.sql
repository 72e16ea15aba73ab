-- name: mart.d_calendar
-- description: One row per day from the first to the last order date loaded so far, with ISO week and month labels.
-- depends_on: staging.user_order_log
-- materialized: table
SELECT CAST(EXTRACT(year FROM day) * 10000 + EXTRACT(month FROM day) * 100 + EXTRACT(day FROM day) AS INTEGER) AS date_id,
       CAST(day AS DATE) AS date,
       CAST(EXTRACT(isoyear FROM day) AS INTEGER) AS iso_year,
       CAST(EXTRACT(week FROM day) AS INTEGER) AS iso_week,
       iso_week_label(day) AS week_label,
       CAST(day - (CAST(EXTRACT(isodow FROM day) AS INTEGER) - 1) * INTERVAL '1 day' AS DATE) AS first_day_of_week,
       CAST(day + (7 - CAST(EXTRACT(isodow FROM day) AS INTEGER)) * INTERVAL '1 day' AS DATE) AS last_day_of_week,
       CAST(EXTRACT(month FROM day) AS INTEGER) AS month,
       month_label(day) AS month_label
FROM generate_series(
        (SELECT CAST(CAST(min(date_time) AS DATE) AS TIMESTAMP) FROM {{ staging }}.user_order_log),
        (SELECT CAST(CAST(max(date_time) AS DATE) AS TIMESTAMP) FROM {{ staging }}.user_order_log),
        INTERVAL '1 day') AS days(day)
