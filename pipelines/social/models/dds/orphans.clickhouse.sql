-- ClickHouse variant of orphans.sql (header there): NOT IN instead of correlated NOT EXISTS (18.16 has no
-- correlated subqueries); the hubs' keys are never NULL, so both mean the same.
SELECT problem, count(DISTINCT hk) AS distinct_keys, count(*) AS link_rows
FROM (
    SELECT 'group_log user missing from users.csv' AS problem, hk_user_id AS hk
    FROM {{ dds }}.l_user_group_activity
    WHERE hk_user_id GLOBAL NOT IN (SELECT hk_user_id FROM {{ dds }}.h_users)
    UNION ALL
    SELECT 'group_log group missing from groups.csv' AS problem, hk_group_id AS hk
    FROM {{ dds }}.l_user_group_activity
    WHERE hk_group_id GLOBAL NOT IN (SELECT hk_group_id FROM {{ dds }}.h_groups)
    UNION ALL
    SELECT 'message author missing from users.csv' AS problem, hk_user_id AS hk
    FROM {{ dds }}.l_user_message
    WHERE hk_user_id GLOBAL NOT IN (SELECT hk_user_id FROM {{ dds }}.h_users)
    UNION ALL
    SELECT 'message group missing from groups.csv' AS problem, hk_group_id AS hk
    FROM {{ dds }}.l_groups_dialogs
    WHERE hk_group_id GLOBAL NOT IN (SELECT hk_group_id FROM {{ dds }}.h_groups)
    UNION ALL
    SELECT 'group admin missing from users.csv' AS problem, hk_user_id AS hk
    FROM {{ dds }}.l_admins
    WHERE hk_user_id GLOBAL NOT IN (SELECT hk_user_id FROM {{ dds }}.h_users)
) AS missing
GROUP BY problem
