-- ClickHouse variant of orphans.sql (header there), rebuilt over every link as before: 18.16 has no correlated
-- DELETE and no temporary tables outside a session, so the count is made into orphans__new and swapped in with one
-- RENAME when complete (as group_user_state does); a failed run leaves the previous table. NOT IN instead of
-- correlated NOT EXISTS (no correlated subqueries there); the hubs' keys are never NULL, so both mean the same.
DROP TABLE IF EXISTS {{ dds }}.orphans__new;

CREATE TABLE {{ dds }}.orphans__new AS
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
GROUP BY problem;

CREATE TABLE IF NOT EXISTS {{ dds }}.orphans AS SELECT * FROM {{ dds }}.orphans__new LIMIT 0;

DROP TABLE IF EXISTS {{ dds }}.orphans__old;

RENAME TABLE {{ dds }}.orphans TO {{ dds }}.orphans__old,
             {{ dds }}.orphans__new TO {{ dds }}.orphans;

DROP TABLE {{ dds }}.orphans__old;
