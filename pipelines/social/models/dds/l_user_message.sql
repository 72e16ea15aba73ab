-- name: dds.l_user_message
-- description: Author -> message. Key parts in order: message_from, message_id.
-- depends_on: staging.dialogs
-- materialized: insert_new_keys
-- unique_key: hk_l_user_message
SELECT DISTINCT
       hk_l_user_message,
       hk_user_id,
       hk_message_id,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM {{ staging }}.dialogs
