-- name: dds.s_dialog_info
-- description: A message's text, author and addressee.
-- depends_on: staging.dialogs
-- materialized: satellite
-- parent_key: hk_message_id
-- hashdiff: hashdiff
SELECT hk_message_id,
       message,
       message_from,
       message_to,
       hash_key(key_part(message) || '||' || key_part(message_from) || '||' || key_part(message_to)) AS hashdiff,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (SELECT hash_key(key_part(message_id)) AS hk_message_id,
             min(message) AS message, min(message_from) AS message_from, min(message_to) AS message_to
      FROM {{ staging }}.dialogs GROUP BY message_id) AS dialogs
