-- name: dds.l_user_message
-- description: Author -> message. Key parts in order: message_from, message_id. Only messages the run's files
--   list twice can repeat a link row, so only those are made distinct (staging.dialogs_repeated).
-- depends_on: staging.dialogs, staging.dialogs_repeated
-- materialized: insert_new_keys
-- unique_key: hk_l_user_message
-- The run's constants are added outside the UNION ALL (see h_dialogs.sql).
SELECT hk_l_user_message,
       hk_user_id,
       hk_message_id,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (
    SELECT hk_l_user_message, hk_user_id, hk_message_id
    FROM {{ staging }}.dialogs
    WHERE message_id NOT IN (SELECT message_id FROM {{ staging }}.dialogs_repeated)
    UNION ALL
    SELECT DISTINCT hk_l_user_message, hk_user_id, hk_message_id
    FROM {{ staging }}.dialogs
    WHERE message_id IN (SELECT message_id FROM {{ staging }}.dialogs_repeated)
) AS links
