-- name: dds.orphans
-- description: Keys that links point to but whose master source does not know them.
--   Links keep these rows (nothing is dropped: the conversion counts every add in group_log);
--   hubs do not get the keys (a hub lists what its master source registered). See README.md.
-- depends_on: dds.h_users, dds.h_groups, dds.l_user_group_activity, dds.l_user_message, dds.l_groups_dialogs, dds.l_admins
-- materialized: table
SELECT problem, count(DISTINCT hk) AS distinct_keys, count(*) AS link_rows
FROM (
    SELECT 'group_log user missing from users.csv' AS problem, l.hk_user_id AS hk
    FROM {{ dds }}.l_user_group_activity AS l
    WHERE NOT EXISTS (SELECT 1 FROM {{ dds }}.h_users AS h WHERE h.hk_user_id = l.hk_user_id)
    UNION ALL
    SELECT 'group_log group missing from groups.csv', l.hk_group_id
    FROM {{ dds }}.l_user_group_activity AS l
    WHERE NOT EXISTS (SELECT 1 FROM {{ dds }}.h_groups AS h WHERE h.hk_group_id = l.hk_group_id)
    UNION ALL
    SELECT 'message author missing from users.csv', l.hk_user_id
    FROM {{ dds }}.l_user_message AS l
    WHERE NOT EXISTS (SELECT 1 FROM {{ dds }}.h_users AS h WHERE h.hk_user_id = l.hk_user_id)
    UNION ALL
    SELECT 'message group missing from groups.csv', l.hk_group_id
    FROM {{ dds }}.l_groups_dialogs AS l
    WHERE NOT EXISTS (SELECT 1 FROM {{ dds }}.h_groups AS h WHERE h.hk_group_id = l.hk_group_id)
    UNION ALL
    SELECT 'group admin missing from users.csv', l.hk_user_id
    FROM {{ dds }}.l_admins AS l
    WHERE NOT EXISTS (SELECT 1 FROM {{ dds }}.h_users AS h WHERE h.hk_user_id = l.hk_user_id)
) AS missing
GROUP BY problem
