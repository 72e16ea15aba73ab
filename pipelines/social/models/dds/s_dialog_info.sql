-- name: dds.s_dialog_info
-- description: A message's text, author and addressee. The key and the hashdiff come from the loader, computed
--   once while the row was in hand (pipeline.json), so the text is neither hashed again nor grouped. If the run's
--   files list a message twice, the smallest value of each column is kept and only those few messages are
--   grouped and hashed here (staging.dialogs_repeated).
-- depends_on: staging.dialogs, staging.dialogs_repeated
-- materialized: satellite
-- parent_key: hk_message_id
-- hashdiff: hashdiff
WITH merged AS (
    SELECT hk_message_id, min(message) AS message, min(message_from) AS message_from, min(message_to) AS message_to
    FROM {{ staging }}.dialogs
    WHERE message_id IN (SELECT message_id FROM {{ staging }}.dialogs_repeated)
    GROUP BY hk_message_id
)
SELECT hk_message_id,
       message,
       message_from,
       message_to,
       hashdiff,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM {{ staging }}.dialogs
WHERE message_id NOT IN (SELECT message_id FROM {{ staging }}.dialogs_repeated)
UNION ALL
SELECT hk_message_id,
       message,
       message_from,
       message_to,
       hash_key(key_part(message) || '||' || key_part(message_from) || '||' || key_part(message_to)),
       CAST('{{ run_started_at }}' AS TIMESTAMP),
       CAST('{{ load_src }}' AS TEXT)
FROM merged
