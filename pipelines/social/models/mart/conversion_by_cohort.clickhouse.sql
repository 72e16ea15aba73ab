-- ClickHouse variant of conversion_by_cohort.sql (header there): countIf for FILTER, toMonday for the ISO
-- week, the seconds between two timestamps (text there) for EXTRACT(EPOCH ...), and the interpolated median
-- (percentile_cont(0.5)) as the mean of the two middle values of the sorted hours.
SELECT join_week,
       members_joined,
       wrote_within_7_days,
       wrote_within_30_days,
       exact_ratio(wrote_within_7_days, members_joined) AS conversion_7_days,
       exact_ratio(wrote_within_30_days, members_joined) AS conversion_30_days,
       -- floor(x + 0.5), not round(): warehouses round halves differently. Nullable: a week where
       -- nobody wrote has no median (NULL, as percentile_cont gives), which a plain Decimal refuses.
       CAST(floor(median_hours * 10 + 0.5) / 10 AS Nullable(Decimal(12, 1))) AS median_hours_to_first_message
FROM (
    SELECT join_week,
           count(*) AS members_joined,
           countIf(hours_to_first_message <= 7 * 24) AS wrote_within_7_days,
           countIf(hours_to_first_message <= 30 * 24) AS wrote_within_30_days,
           arraySort(groupArray(hours_to_first_message)) AS sorted_hours,
           length(sorted_hours) AS counted,
           if(counted = 0, NULL,
              (sorted_hours[intDiv(counted + 1, 2)] + sorted_hours[intDiv(counted, 2) + 1]) / 2) AS median_hours
    FROM (
        SELECT toMonday(toDate(substring(joined_at, 1, 10))) AS join_week,
               ((timestamp_seconds(first_message_at) - timestamp_seconds(joined_at))
                + (timestamp_fraction(first_message_at) - timestamp_fraction(joined_at))) / 3600.0 AS hours_to_first_message
        FROM {{ mart }}.group_user_state
        WHERE joined_at IS NOT NULL
    ) AS memberships
    GROUP BY join_week
) AS cohorts
