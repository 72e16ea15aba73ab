-- title: Conversion by join cohort (week of first join)
-- description: Members who joined in a week, and how many wrote in the group within 7 and 30 days.
-- chart_label: join_week
-- chart_value: conversion_30_days_percent
-- chart_unit: %
SELECT CAST(join_week AS TEXT) AS join_week,
       members_joined,
       wrote_within_7_days,
       wrote_within_30_days,
       CAST(round(conversion_7_days * 100, 1) AS DECIMAL(5,1)) AS conversion_7_days_percent,
       CAST(round(conversion_30_days * 100, 1) AS DECIMAL(5,1)) AS conversion_30_days_percent,
       median_hours_to_first_message
FROM {{ mart }}.conversion_by_cohort
ORDER BY join_week DESC
LIMIT {{ top }}
