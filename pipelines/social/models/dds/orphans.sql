-- name: dds.orphans
-- description: Keys that links point to but whose master source does not know them.
--   Links keep these rows (nothing is dropped: the conversion counts every add in group_log);
--   hubs do not get the keys (a hub lists what its master source registered). See README.md.
--   Kept incrementally, so a day's run reads only the link rows loaded since the last count, not every link:
--   dds.orphans_keys holds each orphan key with its link rows, dds.orphans_counted each link's newest load_dt
--   counted. Hubs and links only ever gain rows, so a key stops being an orphan only when its hub registers it
--   (deleted below), and a key's count changes only by link rows loaded after its link's load_dt there (run
--   start times grow from run to run, which the satellites' version order relies on too). The result equals
--   the count over every link.
-- depends_on: dds.h_users, dds.h_groups, dds.l_user_group_activity, dds.l_user_message, dds.l_groups_dialogs, dds.l_admins
-- materialized: script
CREATE TABLE IF NOT EXISTS {{ this }}_keys (problem TEXT, hk BIGINT, link_rows BIGINT);

CREATE TABLE IF NOT EXISTS {{ this }}_counted (link_table TEXT, load_dt TIMESTAMP);

-- a key its hub has registered since the last count is no longer an orphan
DELETE FROM {{ this }}_keys AS orphan
WHERE (orphan.problem LIKE '% missing from users.csv'
       AND EXISTS (SELECT 1 FROM {{ dds }}.h_users AS h WHERE h.hk_user_id = orphan.hk))
   OR (orphan.problem LIKE '% missing from groups.csv'
       AND EXISTS (SELECT 1 FROM {{ dds }}.h_groups AS h WHERE h.hk_group_id = orphan.hk));

-- per link, the newest load_dt counted (none the first time: every row is new)
CREATE TEMPORARY TABLE orphans_since AS
SELECT link_table, load_dt FROM {{ this }}_counted
UNION ALL
SELECT link_table, CAST('0001-01-01 00:00:00' AS TIMESTAMP)
FROM (SELECT 'l_user_group_activity' AS link_table UNION ALL SELECT 'l_user_message'
      UNION ALL SELECT 'l_groups_dialogs' UNION ALL SELECT 'l_admins') AS links
WHERE link_table NOT IN (SELECT link_table FROM {{ this }}_counted);

CREATE TEMPORARY TABLE new_orphan_keys AS
SELECT problem, hk, count(*) AS link_rows
FROM (
    SELECT 'group_log user missing from users.csv' AS problem, l.hk_user_id AS hk
    FROM {{ dds }}.l_user_group_activity AS l
    WHERE l.load_dt > (SELECT load_dt FROM orphans_since WHERE link_table = 'l_user_group_activity')
      AND NOT EXISTS (SELECT 1 FROM {{ dds }}.h_users AS h WHERE h.hk_user_id = l.hk_user_id)
    UNION ALL
    SELECT 'group_log group missing from groups.csv', l.hk_group_id
    FROM {{ dds }}.l_user_group_activity AS l
    WHERE l.load_dt > (SELECT load_dt FROM orphans_since WHERE link_table = 'l_user_group_activity')
      AND NOT EXISTS (SELECT 1 FROM {{ dds }}.h_groups AS h WHERE h.hk_group_id = l.hk_group_id)
    UNION ALL
    SELECT 'message author missing from users.csv', l.hk_user_id
    FROM {{ dds }}.l_user_message AS l
    WHERE l.load_dt > (SELECT load_dt FROM orphans_since WHERE link_table = 'l_user_message')
      AND NOT EXISTS (SELECT 1 FROM {{ dds }}.h_users AS h WHERE h.hk_user_id = l.hk_user_id)
    UNION ALL
    SELECT 'message group missing from groups.csv', l.hk_group_id
    FROM {{ dds }}.l_groups_dialogs AS l
    WHERE l.load_dt > (SELECT load_dt FROM orphans_since WHERE link_table = 'l_groups_dialogs')
      AND NOT EXISTS (SELECT 1 FROM {{ dds }}.h_groups AS h WHERE h.hk_group_id = l.hk_group_id)
    UNION ALL
    SELECT 'group admin missing from users.csv', l.hk_user_id
    FROM {{ dds }}.l_admins AS l
    WHERE l.load_dt > (SELECT load_dt FROM orphans_since WHERE link_table = 'l_admins')
      AND NOT EXISTS (SELECT 1 FROM {{ dds }}.h_users AS h WHERE h.hk_user_id = l.hk_user_id)
) AS missing
GROUP BY problem, hk;

-- the few orphan keys, old counts plus new rows (grouping, not joining, keeps a NULL key exact)
CREATE TEMPORARY TABLE merged_orphan_keys AS
SELECT problem, hk, CAST(sum(link_rows) AS BIGINT) AS link_rows
FROM (SELECT problem, hk, link_rows FROM {{ this }}_keys
      UNION ALL
      SELECT problem, hk, link_rows FROM new_orphan_keys) AS counts
GROUP BY problem, hk;

DELETE FROM {{ this }}_keys;

INSERT INTO {{ this }}_keys SELECT problem, hk, link_rows FROM merged_orphan_keys;

DELETE FROM {{ this }}_counted;

INSERT INTO {{ this }}_counted
SELECT link_table, load_dt
FROM (SELECT 'l_user_group_activity' AS link_table, max(load_dt) AS load_dt FROM {{ dds }}.l_user_group_activity
      UNION ALL SELECT 'l_user_message', max(load_dt) FROM {{ dds }}.l_user_message
      UNION ALL SELECT 'l_groups_dialogs', max(load_dt) FROM {{ dds }}.l_groups_dialogs
      UNION ALL SELECT 'l_admins', max(load_dt) FROM {{ dds }}.l_admins) AS newest
WHERE load_dt IS NOT NULL;

DROP TABLE IF EXISTS {{ dds }}.orphans;

CREATE TABLE {{ dds }}.orphans AS
SELECT problem, CAST(count(hk) AS BIGINT) AS distinct_keys, CAST(sum(link_rows) AS BIGINT) AS link_rows
FROM {{ this }}_keys
GROUP BY problem;

DROP TABLE orphans_since;

DROP TABLE new_orphan_keys;

DROP TABLE merged_orphan_keys;
