-- name: mart.group_user_state
-- description: One row per (group, user) pair that joined (add) or wrote in the group: when the user first
--   joined, whether they wrote in the group at all, and their first message there at or after joining.
--   Both marts are small aggregates of it. Each run recomputes only the pairs its rows can change -- the
--   pairs of its add events and the (group, author) pairs of its messages -- from the Data Vault, so a
--   day's run costs what the day's data costs, and the result equals a rebuild from all the data.
-- depends_on: staging.group_log, staging.dialogs, dds.l_user_group_activity, dds.s_auth_history, dds.l_groups_dialogs, dds.l_user_message, dds.h_dialogs
-- materialized: script
CREATE TABLE IF NOT EXISTS {{ mart }}.group_user_state (
    hk_group_id BIGINT,
    hk_user_id BIGINT,
    joined_at TIMESTAMP,
    has_message BOOLEAN,
    first_message_at TIMESTAMP
);

CREATE TEMPORARY TABLE affected_pairs AS
SELECT DISTINCT hk_group_id, hk_user_id
FROM (
    SELECT hk_group_id, hk_user_id FROM {{ staging }}.group_log WHERE event = 'add'
    UNION ALL
    SELECT in_group.hk_group_id, author.hk_user_id
    FROM {{ dds }}.l_groups_dialogs AS in_group
    JOIN {{ dds }}.l_user_message AS author ON author.hk_message_id = in_group.hk_message_id
    WHERE in_group.hk_message_id IN (SELECT hk_message_id FROM {{ staging }}.dialogs WHERE message_group IS NOT NULL)
) AS pairs;

DELETE FROM {{ mart }}.group_user_state AS state
WHERE EXISTS (SELECT 1 FROM affected_pairs AS pair
              WHERE pair.hk_group_id = state.hk_group_id AND pair.hk_user_id = state.hk_user_id);

INSERT INTO {{ mart }}.group_user_state
WITH joined AS (
    SELECT link.hk_group_id, link.hk_user_id, min(history.event_dt) AS joined_at
    FROM affected_pairs AS pair
    JOIN {{ dds }}.l_user_group_activity AS link
      ON link.hk_group_id = pair.hk_group_id AND link.hk_user_id = pair.hk_user_id
    JOIN {{ dds }}.s_auth_history AS history ON history.hk_l_user_group_activity = link.hk_l_user_group_activity
    WHERE history.event = 'add'
    GROUP BY link.hk_group_id, link.hk_user_id
),
authored AS (
    -- the affected users' messages first: an inner join with few keys, so the
    -- message links are probed once and never joined in full
    SELECT author.hk_user_id, author.hk_message_id
    FROM {{ dds }}.l_user_message AS author
    JOIN (SELECT DISTINCT hk_user_id FROM affected_pairs) AS users ON users.hk_user_id = author.hk_user_id
),
messages AS (
    SELECT in_group.hk_group_id, authored.hk_user_id, message.message_ts
    FROM authored
    JOIN {{ dds }}.l_groups_dialogs AS in_group ON in_group.hk_message_id = authored.hk_message_id
    LEFT JOIN {{ dds }}.h_dialogs AS message ON message.hk_message_id = authored.hk_message_id
)
SELECT pair.hk_group_id,
       pair.hk_user_id,
       joined.joined_at,
       count(messages.hk_user_id) > 0 AS has_message,
       min(messages.message_ts) FILTER (WHERE messages.message_ts >= joined.joined_at) AS first_message_at
FROM affected_pairs AS pair
LEFT JOIN joined ON joined.hk_group_id = pair.hk_group_id AND joined.hk_user_id = pair.hk_user_id
LEFT JOIN messages ON messages.hk_group_id = pair.hk_group_id AND messages.hk_user_id = pair.hk_user_id
GROUP BY pair.hk_group_id, pair.hk_user_id, joined.joined_at
HAVING joined.joined_at IS NOT NULL OR count(messages.hk_user_id) > 0;

DROP TABLE affected_pairs;
