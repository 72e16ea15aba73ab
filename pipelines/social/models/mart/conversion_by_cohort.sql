-- name: mart.conversion_by_cohort
-- description: Members grouped by the ISO week of their first join (add) to a group: how many wrote
--   in that group within 7 and 30 days of joining, and the median hours from joining to the first
--   message. A membership is one (user, group) pair; messages before the join do not count.
-- depends_on: dds.l_user_group_activity, dds.s_auth_history, dds.l_groups_dialogs, dds.l_user_message, dds.h_dialogs
-- materialized: table
WITH joined AS (
    SELECT link.hk_group_id, link.hk_user_id, min(history.event_dt) AS joined_at
    FROM {{ dds }}.l_user_group_activity AS link
    JOIN {{ dds }}.s_auth_history AS history ON history.hk_l_user_group_activity = link.hk_l_user_group_activity
    WHERE history.event = 'add'
    GROUP BY link.hk_group_id, link.hk_user_id
),
group_messages AS (
    SELECT in_group.hk_group_id, author.hk_user_id, message.message_ts
    FROM {{ dds }}.l_groups_dialogs AS in_group
    JOIN {{ dds }}.l_user_message AS author ON author.hk_message_id = in_group.hk_message_id
    JOIN {{ dds }}.h_dialogs AS message ON message.hk_message_id = in_group.hk_message_id
),
first_message AS (
    SELECT joined.hk_group_id, joined.hk_user_id, min(group_messages.message_ts) AS first_message_at
    FROM joined
    JOIN group_messages ON group_messages.hk_group_id = joined.hk_group_id
                       AND group_messages.hk_user_id = joined.hk_user_id
    WHERE group_messages.message_ts >= joined.joined_at
    GROUP BY joined.hk_group_id, joined.hk_user_id
),
memberships AS (
    SELECT CAST(date_trunc('week', joined.joined_at) AS DATE) AS join_week,
           EXTRACT(EPOCH FROM (first_message.first_message_at - joined.joined_at)) / 3600.0 AS hours_to_first_message
    FROM joined
    LEFT JOIN first_message ON first_message.hk_group_id = joined.hk_group_id
                           AND first_message.hk_user_id = joined.hk_user_id
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
