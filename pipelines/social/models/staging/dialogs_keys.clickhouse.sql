-- ClickHouse variant of dialogs_keys.sql (header there): 18.16 has no WITH subqueries, so every key is hashed
-- on its row; a message without an author is left out, as the original's inner join leaves it out.
SELECT hash_key(key_part(message_id)) AS hk_message_id,
       hash_key(key_part(message_from)) AS hk_user_id,
       CASE WHEN message_group IS NOT NULL THEN hash_key(key_part(message_group)) ELSE NULL END AS hk_group_id,
       hash_key(key_part(message_from) || '||' || key_part(message_id)) AS hk_l_user_message,
       CASE WHEN message_group IS NOT NULL
            THEN hash_key(key_part(message_group) || '||' || key_part(message_id)) ELSE NULL END AS hk_l_groups_dialogs,
       message_id,
       message_ts,
       message_from,
       message_group
FROM {{ staging }}.dialogs
WHERE message_from IS NOT NULL
