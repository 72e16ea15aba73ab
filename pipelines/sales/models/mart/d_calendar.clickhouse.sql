-- ClickHouse variant of d_calendar.sql (header there): 18.16 has no generate_series, so the days are an
-- arrayJoin over range() (of a non-Nullable count: staging's columns are Nullable there, the bounds are not
-- NULL); no row at all while staging is empty (HAVING), as generate_series(NULL, NULL) gives.
SELECT toInt32(toYYYYMMDD(day)) AS date_id,
       day AS date,
       toInt32(toISOYear(day)) AS iso_year,
       toInt32(toISOWeek(day)) AS iso_week,
       iso_week_label(day) AS week_label,
       toMonday(day) AS first_day_of_week,
       toMonday(day) + 6 AS last_day_of_week,
       toInt32(toMonth(day)) AS month,
       month_label(day) AS month_label
FROM (
    SELECT assumeNotNull(first_day) + arrayJoin(range(toUInt32(assumeNotNull(last_day) - assumeNotNull(first_day) + 1)))
           AS day
    FROM (SELECT min(day_of(date_time)) AS first_day, max(day_of(date_time)) AS last_day
          FROM {{ staging }}.user_order_log
          HAVING count() > 0) AS bounds
) AS days
