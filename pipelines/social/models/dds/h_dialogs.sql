-- name: dds.h_dialogs
-- description: Every message of dialogs.csv.
-- depends_on: staging.dialogs
-- materialized: insert_new_keys
-- unique_key: hk_message_id
SELECT hk_message_id,
       message_id,
       min(message_ts) AS message_ts,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM {{ staging }}.dialogs
GROUP BY hk_message_id, message_id
