-- name: staging.dialogs_keys
-- description: The run's dialogs rows with every hash key computed once ("hash in the stage"), for h_dialogs,
--   l_user_message and l_groups_dialogs; no message text (s_dialog_info reads it once, from staging.dialogs).
--   Authors' and groups' keys are hashed once per distinct id and joined back on the integer id.
-- depends_on: staging.dialogs
-- materialized: table
WITH authors AS (
    SELECT message_from, hash_key(key_part(message_from)) AS hk_user_id
    FROM (SELECT DISTINCT message_from FROM {{ staging }}.dialogs) AS ids
),
groups AS (
    SELECT message_group, hash_key(key_part(message_group)) AS hk_group_id
    FROM (SELECT DISTINCT message_group FROM {{ staging }}.dialogs WHERE message_group IS NOT NULL) AS ids
)
SELECT hash_key(key_part(dialogs.message_id)) AS hk_message_id,
       authors.hk_user_id,
       groups.hk_group_id,
       hash_key(key_part(dialogs.message_from) || '||' || key_part(dialogs.message_id)) AS hk_l_user_message,
       CASE WHEN dialogs.message_group IS NOT NULL
            THEN hash_key(key_part(dialogs.message_group) || '||' || key_part(dialogs.message_id)) END AS hk_l_groups_dialogs,
       dialogs.message_id,
       dialogs.message_ts,
       dialogs.message_from,
       dialogs.message_group
FROM {{ staging }}.dialogs AS dialogs
JOIN authors ON authors.message_from = dialogs.message_from
LEFT JOIN groups ON groups.message_group = dialogs.message_group
