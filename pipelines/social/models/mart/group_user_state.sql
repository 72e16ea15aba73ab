-- name: mart.group_user_state
-- description: One row per (group, user) pair that joined (add) or wrote in the group: when the user first
--   joined, whether they wrote in the group at all, and their first message there at or after joining.
--   Both marts are small aggregates of it. Kept incrementally from the Data Vault rows loaded since its last
--   run, so a day's run costs what the day's rows cost, never a scan of the 2.5M-row message links:
--   {{ this }}_messages holds every authored group message (group, author, message, time), {{ this }}_joined
--   each pair's first add, {{ this }}_counted the newest load_dt folded in. Hubs, links and s_auth_history
--   only ever gain rows (insert_new_keys) and a run's rows carry its start time, which grows from run to
--   run (as dds.orphans relies on too), so the rows past that mark are exactly what changed: the messages
--   they touch are recomputed from the vault by key, the pairs those messages or new adds belong to are
--   recomputed from the two small tables. The result equals a rebuild from all the data (tests compare).
-- depends_on: dds.l_user_group_activity, dds.s_auth_history, dds.l_groups_dialogs, dds.l_user_message, dds.h_dialogs
-- materialized: script
CREATE TABLE IF NOT EXISTS {{ this }} (
    hk_group_id BIGINT,
    hk_user_id BIGINT,
    joined_at TIMESTAMP,
    has_message BOOLEAN,
    first_message_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS {{ this }}_messages (hk_group_id BIGINT, hk_user_id BIGINT, hk_message_id BIGINT,
                                                message_ts TIMESTAMP);

CREATE TABLE IF NOT EXISTS {{ this }}_joined (hk_group_id BIGINT, hk_user_id BIGINT, joined_at TIMESTAMP);

CREATE TABLE IF NOT EXISTS {{ this }}_counted (folded TEXT, load_dt TIMESTAMP);

-- the newest load_dt folded in; none yet (or a table from before this model kept it): every row is new
CREATE TEMPORARY TABLE state_since AS
SELECT coalesce(max(load_dt), CAST('0001-01-01 00:00:00' AS TIMESTAMP)) AS load_dt FROM {{ this }}_counted;

-- the group messages the vault rows loaded since touch: a range of load_dt, which grows with the rows' order, so
-- the scans skip every older row group by its min/max. Only messages written in a group reach the state (the
-- rows below and {{ this }}_messages come from l_groups_dialogs, whose rows are never removed), so an author link
-- or a hub row counts only for a message whose group link is older (a new group link counts on its own): a full
-- load groups the 0.6M group links, not every row of all three tables.
CREATE TEMPORARY TABLE touched_messages AS
SELECT hk_message_id FROM {{ dds }}.l_groups_dialogs WHERE load_dt > (SELECT load_dt FROM state_since)
UNION
SELECT hk_message_id FROM {{ dds }}.l_user_message
WHERE load_dt > (SELECT load_dt FROM state_since)
  AND hk_message_id IN (SELECT hk_message_id FROM {{ dds }}.l_groups_dialogs
                        WHERE load_dt <= (SELECT load_dt FROM state_since))
UNION
SELECT hk_message_id FROM {{ dds }}.h_dialogs
WHERE load_dt > (SELECT load_dt FROM state_since)
  AND hk_message_id IN (SELECT hk_message_id FROM {{ dds }}.l_groups_dialogs
                        WHERE load_dt <= (SELECT load_dt FROM state_since));

-- a link's key stands for its (group, user) pair, so the adds are grouped by that one key before the join
CREATE TEMPORARY TABLE new_adds AS
SELECT link.hk_group_id, link.hk_user_id, added.joined_at, added.load_dt
FROM (SELECT hk_l_user_group_activity, min(event_dt) AS joined_at, max(load_dt) AS load_dt
      FROM {{ dds }}.s_auth_history
      WHERE load_dt > (SELECT load_dt FROM state_since) AND event = 'add'
      GROUP BY hk_l_user_group_activity) AS added
JOIN {{ dds }}.l_user_group_activity AS link ON link.hk_l_user_group_activity = added.hk_l_user_group_activity;

-- every group message the new rows touch, whole from the vault (a message's links may predate its hub row); the
-- author and the time are joined to those group links only
CREATE TEMPORARY TABLE touched_rows AS
SELECT in_group.hk_group_id, author.hk_user_id, in_group.hk_message_id, message.message_ts
FROM (SELECT hk_message_id, hk_group_id FROM {{ dds }}.l_groups_dialogs
      WHERE hk_message_id IN (SELECT hk_message_id FROM touched_messages)) AS in_group
JOIN {{ dds }}.l_user_message AS author ON author.hk_message_id = in_group.hk_message_id
LEFT JOIN {{ dds }}.h_dialogs AS message ON message.hk_message_id = in_group.hk_message_id;

-- the pairs whose state may change: of the touched messages, before and after, and of the new adds
CREATE TEMPORARY TABLE affected_pairs AS
SELECT DISTINCT hk_group_id, hk_user_id
FROM (
    SELECT hk_group_id, hk_user_id FROM {{ this }}_messages
    WHERE hk_message_id IN (SELECT hk_message_id FROM touched_messages)
    UNION ALL
    SELECT hk_group_id, hk_user_id FROM touched_rows
    UNION ALL
    SELECT hk_group_id, hk_user_id FROM new_adds
) AS pairs;

DELETE FROM {{ this }}_messages WHERE hk_message_id IN (SELECT hk_message_id FROM touched_messages);

INSERT INTO {{ this }}_messages SELECT hk_group_id, hk_user_id, hk_message_id, message_ts FROM touched_rows;

-- adds only accumulate, so a pair's first add is the earlier of the kept one and the new ones
CREATE TEMPORARY TABLE merged_joined AS
SELECT hk_group_id, hk_user_id, min(joined_at) AS joined_at
FROM (
    SELECT kept.hk_group_id, kept.hk_user_id, kept.joined_at
    FROM {{ this }}_joined AS kept
    WHERE EXISTS (SELECT 1 FROM new_adds AS added
                  WHERE added.hk_group_id = kept.hk_group_id AND added.hk_user_id = kept.hk_user_id)
    UNION ALL
    SELECT hk_group_id, hk_user_id, joined_at FROM new_adds
) AS adds
GROUP BY hk_group_id, hk_user_id;

DELETE FROM {{ this }}_joined AS kept
WHERE EXISTS (SELECT 1 FROM new_adds AS added
              WHERE added.hk_group_id = kept.hk_group_id AND added.hk_user_id = kept.hk_user_id);

INSERT INTO {{ this }}_joined SELECT hk_group_id, hk_user_id, joined_at FROM merged_joined;

DELETE FROM {{ this }} AS state
WHERE EXISTS (SELECT 1 FROM affected_pairs AS pair
              WHERE pair.hk_group_id = state.hk_group_id AND pair.hk_user_id = state.hk_user_id);

INSERT INTO {{ this }}
SELECT pair.hk_group_id,
       pair.hk_user_id,
       joined.joined_at,
       count(messages.hk_message_id) > 0 AS has_message,
       min(messages.message_ts) FILTER (WHERE messages.message_ts >= joined.joined_at) AS first_message_at
FROM affected_pairs AS pair
LEFT JOIN {{ this }}_joined AS joined
  ON joined.hk_group_id = pair.hk_group_id AND joined.hk_user_id = pair.hk_user_id
LEFT JOIN {{ this }}_messages AS messages
  ON messages.hk_group_id = pair.hk_group_id AND messages.hk_user_id = pair.hk_user_id
GROUP BY pair.hk_group_id, pair.hk_user_id, joined.joined_at
HAVING joined.joined_at IS NOT NULL OR count(messages.hk_message_id) > 0;

-- the mark moves to the newest row folded in (unchanged when no row was new)
CREATE TEMPORARY TABLE newest_folded AS
SELECT max(load_dt) AS load_dt
FROM (SELECT load_dt FROM state_since
      UNION ALL SELECT max(load_dt) FROM {{ dds }}.l_groups_dialogs WHERE load_dt > (SELECT load_dt FROM state_since)
      UNION ALL SELECT max(load_dt) FROM {{ dds }}.l_user_message WHERE load_dt > (SELECT load_dt FROM state_since)
      UNION ALL SELECT max(load_dt) FROM {{ dds }}.h_dialogs WHERE load_dt > (SELECT load_dt FROM state_since)
      UNION ALL SELECT max(load_dt) FROM new_adds) AS marks;

DELETE FROM {{ this }}_counted;

INSERT INTO {{ this }}_counted
SELECT 'dds', load_dt FROM newest_folded WHERE load_dt > CAST('0001-01-01 00:00:00' AS TIMESTAMP);

DROP TABLE state_since;

DROP TABLE new_adds;

DROP TABLE touched_messages;

DROP TABLE touched_rows;

DROP TABLE affected_pairs;

DROP TABLE merged_joined;

DROP TABLE newest_folded;
