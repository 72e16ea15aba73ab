-- name: dds.h_dialogs
-- description: Every message of dialogs.csv. A message listed twice in the run's files keeps its earliest time;
--   only those are grouped (staging.dialogs_repeated).
-- depends_on: staging.dialogs, staging.dialogs_repeated
-- materialized: insert_new_keys
-- unique_key: hk_message_id
-- The run's constants are added outside the UNION ALL: ClickHouse 18.16 fails a UNION ALL over a sharded table
-- whose branches carry a timestamp constant ("non constant in source stream").
SELECT hk_message_id,
       message_id,
       message_ts,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (
    SELECT hk_message_id, message_id, message_ts
    FROM {{ staging }}.dialogs
    WHERE message_id NOT IN (SELECT message_id FROM {{ staging }}.dialogs_repeated)
    UNION ALL
    SELECT hk_message_id, message_id, min(message_ts)
    FROM {{ staging }}.dialogs
    WHERE message_id IN (SELECT message_id FROM {{ staging }}.dialogs_repeated)
    GROUP BY hk_message_id, message_id
) AS messages
