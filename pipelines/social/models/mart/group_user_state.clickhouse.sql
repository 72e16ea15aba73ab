-- ClickHouse variant of group_user_state.sql (header there), incremental like it: the same three kept tables,
-- fed only by the Data Vault rows loaded past {{ this }}_counted's mark. 18.16 has one JOIN per SELECT, no WITH,
-- no DELETE and no temporary tables outside a session, so the run's working sets are plain tables
-- ({{ this }}__touched, __touched_rows, __new_adds, __affected) dropped at the end, and each kept table's next
-- version is built into NAME__new (its rows the touched keys leave alone, then the recomputed ones) and all four
-- are swapped in with one RENAME when complete: a failed run leaves the previous tables and mark, and its rerun
-- folds in the same rows. Every join's right side is one of those small sets (never a 2.5M-row vault table),
-- and the vault is read through GLOBAL IN of them, so the memory a run needs follows its new rows (the rebuild
-- of the whole vault this replaces needed more than a server's 2 GB at scale 1). The scalar subquery giving the
-- mark is evaluated once, on this server, before the query reaches the shards. Booleans are UInt8 there,
-- timestamps text (which compares like the instants), load_dt a DateTime.
-- created AS SELECT (a table of the model's own, on this server; the column form would shard it), with the
-- vault's types: hash keys Nullable(Int64), timestamps Nullable(String), load_dt DateTime (0 before any run)
CREATE TABLE IF NOT EXISTS {{ this }} AS
SELECT toNullable(toInt64(0)) AS hk_group_id, toNullable(toInt64(0)) AS hk_user_id, toNullable('') AS joined_at,
       toUInt8(0) AS has_message, toNullable('') AS first_message_at
FROM system.one WHERE 0;

CREATE TABLE IF NOT EXISTS {{ this }}_messages AS
SELECT toNullable(toInt64(0)) AS hk_group_id, toNullable(toInt64(0)) AS hk_user_id,
       toNullable(toInt64(0)) AS hk_message_id, toNullable('') AS message_ts
FROM system.one WHERE 0;

CREATE TABLE IF NOT EXISTS {{ this }}_joined AS
SELECT toNullable(toInt64(0)) AS hk_group_id, toNullable(toInt64(0)) AS hk_user_id, toNullable('') AS joined_at
FROM system.one WHERE 0;

CREATE TABLE IF NOT EXISTS {{ this }}_counted AS
SELECT 'dds' AS folded, toDateTime(0) AS load_dt FROM system.one WHERE 0;

DROP TABLE IF EXISTS {{ this }}__touched;

-- the messages the vault rows loaded since the mark touch
CREATE TABLE {{ this }}__touched AS
SELECT DISTINCT hk_message_id, load_dt
FROM (
    SELECT hk_message_id, load_dt FROM {{ dds }}.l_groups_dialogs
    WHERE load_dt > (SELECT max(load_dt) FROM {{ this }}_counted)
    UNION ALL
    SELECT hk_message_id, load_dt FROM {{ dds }}.l_user_message
    WHERE load_dt > (SELECT max(load_dt) FROM {{ this }}_counted)
    UNION ALL
    SELECT hk_message_id, load_dt FROM {{ dds }}.h_dialogs
    WHERE load_dt > (SELECT max(load_dt) FROM {{ this }}_counted)
) AS new_rows;

DROP TABLE IF EXISTS {{ this }}__touched_groups;

-- their group links, whole from the vault (a message's links may predate its hub row)
CREATE TABLE {{ this }}__touched_groups AS
SELECT hk_message_id, hk_group_id
FROM {{ dds }}.l_groups_dialogs
WHERE hk_message_id GLOBAL IN (SELECT hk_message_id FROM {{ this }}__touched);

DROP TABLE IF EXISTS {{ this }}__touched_rows;

CREATE TABLE {{ this }}__touched_rows AS
SELECT hk_group_id, hk_user_id, hk_message_id, message_ts
FROM (
    SELECT hk_message_id, hk_user_id, hk_group_id
    FROM (SELECT hk_message_id, hk_user_id FROM {{ dds }}.l_user_message
          WHERE hk_message_id GLOBAL IN (SELECT hk_message_id FROM {{ this }}__touched_groups)) AS author
    ALL INNER JOIN (SELECT hk_message_id, hk_group_id FROM {{ this }}__touched_groups) AS in_group USING (hk_message_id)
) AS authored
ALL LEFT JOIN (SELECT hk_message_id, message_ts FROM {{ dds }}.h_dialogs
               WHERE hk_message_id GLOBAL IN (SELECT hk_message_id FROM {{ this }}__touched_groups)) AS message
    USING (hk_message_id);

DROP TABLE IF EXISTS {{ this }}__new_adds;

-- adds only accumulate, so a pair's first add is the earlier of the kept one and the new ones
CREATE TABLE {{ this }}__new_adds AS
SELECT hk_group_id, hk_user_id, min(event_dt) AS joined_at, max(load_dt) AS load_dt
FROM (
    SELECT hk_l_user_group_activity, event_dt, load_dt
    FROM {{ dds }}.s_auth_history
    WHERE load_dt > (SELECT max(load_dt) FROM {{ this }}_counted) AND event = 'add'
) AS history
ALL INNER JOIN (
    SELECT hk_l_user_group_activity, hk_group_id, hk_user_id
    FROM {{ dds }}.l_user_group_activity
    WHERE hk_l_user_group_activity GLOBAL IN (
        SELECT hk_l_user_group_activity FROM {{ dds }}.s_auth_history
        WHERE load_dt > (SELECT max(load_dt) FROM {{ this }}_counted) AND event = 'add')
) AS link USING (hk_l_user_group_activity)
GROUP BY hk_group_id, hk_user_id;

DROP TABLE IF EXISTS {{ this }}__affected;

-- the pairs whose state may change: of the touched messages, before and after, and of the new adds
CREATE TABLE {{ this }}__affected AS
SELECT DISTINCT hk_group_id, hk_user_id
FROM (
    SELECT hk_group_id, hk_user_id FROM {{ this }}_messages
    WHERE hk_message_id IN (SELECT hk_message_id FROM {{ this }}__touched)
    UNION ALL
    SELECT hk_group_id, hk_user_id FROM {{ this }}__touched_rows
    UNION ALL
    SELECT hk_group_id, hk_user_id FROM {{ this }}__new_adds
) AS pairs;

DROP TABLE IF EXISTS {{ this }}_messages__new;

CREATE TABLE {{ this }}_messages__new AS
SELECT hk_group_id, hk_user_id, hk_message_id, message_ts
FROM {{ this }}_messages
WHERE hk_message_id NOT IN (SELECT hk_message_id FROM {{ this }}__touched);

INSERT INTO {{ this }}_messages__new
SELECT hk_group_id, hk_user_id, hk_message_id, message_ts FROM {{ this }}__touched_rows;

DROP TABLE IF EXISTS {{ this }}_joined__new;

CREATE TABLE {{ this }}_joined__new AS
SELECT hk_group_id, hk_user_id, joined_at
FROM {{ this }}_joined
WHERE (hk_group_id, hk_user_id) NOT IN (SELECT hk_group_id, hk_user_id FROM {{ this }}__new_adds);

INSERT INTO {{ this }}_joined__new
SELECT hk_group_id, hk_user_id, min(joined_at) AS joined_at
FROM (
    SELECT hk_group_id, hk_user_id, joined_at
    FROM {{ this }}_joined
    WHERE (hk_group_id, hk_user_id) IN (SELECT hk_group_id, hk_user_id FROM {{ this }}__new_adds)
    UNION ALL
    SELECT hk_group_id, hk_user_id, joined_at FROM {{ this }}__new_adds
) AS adds
GROUP BY hk_group_id, hk_user_id;

DROP TABLE IF EXISTS {{ this }}__new;

CREATE TABLE {{ this }}__new AS
SELECT hk_group_id, hk_user_id, joined_at, has_message, first_message_at
FROM {{ this }}
WHERE (hk_group_id, hk_user_id) NOT IN (SELECT hk_group_id, hk_user_id FROM {{ this }}__affected);

INSERT INTO {{ this }}__new
SELECT hk_group_id,
       hk_user_id,
       any(joined_dt) AS joined_at,
       toUInt8(count(hk_message_id) > 0) AS has_message,
       min(if(message_ts >= joined_dt, message_ts, NULL)) AS first_message_at
FROM (
    SELECT hk_group_id, hk_user_id, joined_dt
    FROM (SELECT hk_group_id, hk_user_id FROM {{ this }}__affected) AS pair
    ALL LEFT JOIN (
        SELECT hk_group_id, hk_user_id, joined_at AS joined_dt
        FROM {{ this }}_joined__new
        WHERE (hk_group_id, hk_user_id) IN (SELECT hk_group_id, hk_user_id FROM {{ this }}__affected)
    ) AS joined USING (hk_group_id, hk_user_id)
) AS pairs
ALL LEFT JOIN (
    SELECT hk_group_id, hk_user_id, hk_message_id, message_ts
    FROM {{ this }}_messages__new
    WHERE (hk_group_id, hk_user_id) IN (SELECT hk_group_id, hk_user_id FROM {{ this }}__affected)
) AS messages USING (hk_group_id, hk_user_id)
GROUP BY hk_group_id, hk_user_id
HAVING any(joined_dt) IS NOT NULL OR count(hk_message_id) > 0;

DROP TABLE IF EXISTS {{ this }}_counted__new;

-- the mark moves to the newest row folded in (unchanged when no row was new)
CREATE TABLE {{ this }}_counted__new AS
SELECT 'dds' AS folded, newest AS load_dt
FROM (
    SELECT max(load_dt) AS newest
    FROM (
        SELECT load_dt FROM {{ this }}_counted
        UNION ALL
        SELECT load_dt FROM {{ this }}__touched
        UNION ALL
        SELECT load_dt FROM {{ this }}__new_adds
    ) AS marks
) AS mark
WHERE newest > toDateTime(0);

DROP TABLE IF EXISTS {{ this }}__old;

DROP TABLE IF EXISTS {{ this }}_messages__old;

DROP TABLE IF EXISTS {{ this }}_joined__old;

DROP TABLE IF EXISTS {{ this }}_counted__old;

RENAME TABLE {{ this }} TO {{ this }}__old, {{ this }}__new TO {{ this }},
             {{ this }}_messages TO {{ this }}_messages__old, {{ this }}_messages__new TO {{ this }}_messages,
             {{ this }}_joined TO {{ this }}_joined__old, {{ this }}_joined__new TO {{ this }}_joined,
             {{ this }}_counted TO {{ this }}_counted__old, {{ this }}_counted__new TO {{ this }}_counted;

DROP TABLE {{ this }}__old;

DROP TABLE {{ this }}_messages__old;

DROP TABLE {{ this }}_joined__old;

DROP TABLE {{ this }}_counted__old;

DROP TABLE {{ this }}__touched;

DROP TABLE {{ this }}__touched_groups;

DROP TABLE {{ this }}__touched_rows;

DROP TABLE {{ this }}__new_adds;

DROP TABLE {{ this }}__affected;
