-- name: dds.s_dialog_info
-- description: A message's text, author and addressee. If the run's files list a message twice, the smallest
--   value of each column is kept; only those messages are grouped, so the text of the others is read once,
--   never sorted or grouped.
-- depends_on: staging.dialogs
-- materialized: satellite
-- parent_key: hk_message_id
-- hashdiff: hashdiff
WITH repeated AS (
    SELECT message_id FROM {{ staging }}.dialogs GROUP BY message_id HAVING count(*) > 1
),
messages AS (
    SELECT message_id, message, message_from, message_to
    FROM {{ staging }}.dialogs
    WHERE message_id NOT IN (SELECT message_id FROM repeated)
    UNION ALL
    SELECT message_id, min(message), min(message_from), min(message_to)
    FROM {{ staging }}.dialogs
    WHERE message_id IN (SELECT message_id FROM repeated)
    GROUP BY message_id
)
SELECT hash_key(key_part(message_id)) AS hk_message_id,
       message,
       message_from,
       message_to,
       hash_key(key_part(message) || '||' || key_part(message_from) || '||' || key_part(message_to)) AS hashdiff,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM messages
