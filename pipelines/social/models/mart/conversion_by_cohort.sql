-- name: mart.conversion_by_cohort
-- description: Members grouped by the ISO week of their first join (add) to a group: how many wrote
--   in that group within 7 and 30 days of joining, and the median hours from joining to the first
--   message. A membership is one (user, group) pair; messages before the join do not count.
--   Aggregated from mart.group_user_state, which keeps each membership's join and first message.
-- depends_on: mart.group_user_state
-- materialized: table
WITH memberships AS (
    SELECT CAST(date_trunc('week', joined_at) AS DATE) AS join_week,
           EXTRACT(EPOCH FROM (first_message_at - joined_at)) / 3600.0 AS hours_to_first_message
    FROM {{ mart }}.group_user_state
    WHERE joined_at IS NOT NULL
)
SELECT join_week,
       count(*) AS members_joined,
       count(*) FILTER (WHERE hours_to_first_message <= 7 * 24) AS wrote_within_7_days,
       count(*) FILTER (WHERE hours_to_first_message <= 30 * 24) AS wrote_within_30_days,
       exact_ratio(count(*) FILTER (WHERE hours_to_first_message <= 7 * 24), count(*)) AS conversion_7_days,
       exact_ratio(count(*) FILTER (WHERE hours_to_first_message <= 30 * 24), count(*)) AS conversion_30_days,
       -- floor(x + 0.5), not round(): warehouses round halves differently.
       CAST(floor(percentile_cont(0.5) WITHIN GROUP (ORDER BY hours_to_first_message) * 10 + 0.5) / 10 AS DECIMAL(12,1))
           AS median_hours_to_first_message
FROM memberships
GROUP BY join_week
