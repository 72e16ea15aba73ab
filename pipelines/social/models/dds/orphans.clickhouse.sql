-- ClickHouse variant of orphans.sql (header there), rebuilt over every link as before: 18.16 has no correlated
-- DELETE and no temporary tables outside a session, so the orphan keys, the links' newest load_dt and the count
-- are made into __new tables and swapped in with one RENAME when complete (as group_user_state does); a failed run
-- leaves the previous tables. NOT IN instead of correlated NOT EXISTS (no correlated subqueries there); the hubs'
-- keys are never NULL, so both mean the same.
DROP TABLE IF EXISTS {{ this }}_keys__new;

CREATE TABLE {{ this }}_keys__new AS
SELECT problem, hk, count() AS link_rows
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
GROUP BY problem, hk;

DROP TABLE IF EXISTS {{ this }}_counted__new;

CREATE TABLE {{ this }}_counted__new AS
SELECT link_table, load_dt
FROM (SELECT 'l_user_group_activity' AS link_table, max(load_dt) AS load_dt, count() AS link_rows
      FROM {{ dds }}.l_user_group_activity
      UNION ALL SELECT 'l_user_message' AS link_table, max(load_dt) AS load_dt, count() AS link_rows
      FROM {{ dds }}.l_user_message
      UNION ALL SELECT 'l_groups_dialogs' AS link_table, max(load_dt) AS load_dt, count() AS link_rows
      FROM {{ dds }}.l_groups_dialogs
      UNION ALL SELECT 'l_admins' AS link_table, max(load_dt) AS load_dt, count() AS link_rows
      FROM {{ dds }}.l_admins) AS newest
WHERE link_rows > 0;

DROP TABLE IF EXISTS {{ this }}__new;

CREATE TABLE {{ this }}__new AS
SELECT problem, count() AS distinct_keys, sum(link_rows) AS link_rows
FROM {{ this }}_keys__new
GROUP BY problem;

CREATE TABLE IF NOT EXISTS {{ this }}_keys AS SELECT * FROM {{ this }}_keys__new LIMIT 0;

CREATE TABLE IF NOT EXISTS {{ this }}_counted AS SELECT * FROM {{ this }}_counted__new LIMIT 0;

CREATE TABLE IF NOT EXISTS {{ this }} AS SELECT * FROM {{ this }}__new LIMIT 0;

DROP TABLE IF EXISTS {{ this }}_keys__old;

DROP TABLE IF EXISTS {{ this }}_counted__old;

DROP TABLE IF EXISTS {{ this }}__old;

RENAME TABLE {{ this }}_keys TO {{ this }}_keys__old, {{ this }}_keys__new TO {{ this }}_keys,
             {{ this }}_counted TO {{ this }}_counted__old, {{ this }}_counted__new TO {{ this }}_counted,
             {{ this }} TO {{ this }}__old, {{ this }}__new TO {{ this }};

DROP TABLE {{ this }}_keys__old;

DROP TABLE {{ this }}_counted__old;

DROP TABLE {{ this }}__old;
