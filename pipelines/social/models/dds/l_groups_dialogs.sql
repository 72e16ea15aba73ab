-- name: dds.l_groups_dialogs
-- description: Message -> group, only for messages written in a group. Key parts: message_group, message_id.
--   Only messages the run's files list twice can repeat a link row (staging.dialogs_repeated).
--   A message group missing from groups.csv is counted in dds.orphans ('message group missing from groups.csv'),
--   not by a relationships() test here: that test scanned every link twice (count, sample) on every run.
-- depends_on: staging.dialogs, staging.dialogs_repeated
-- materialized: insert_new_keys
-- unique_key: hk_l_groups_dialogs
-- The run's constants are added outside the UNION ALL (see h_dialogs.sql).
SELECT hk_l_groups_dialogs,
       hk_message_id,
       hk_group_id,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (
    SELECT hk_l_groups_dialogs, hk_message_id, hk_group_id
    FROM {{ staging }}.dialogs
    WHERE message_group IS NOT NULL AND message_id NOT IN (SELECT message_id FROM {{ staging }}.dialogs_repeated)
    UNION ALL
    SELECT DISTINCT hk_l_groups_dialogs, hk_message_id, hk_group_id
    FROM {{ staging }}.dialogs
    WHERE message_group IS NOT NULL AND message_id IN (SELECT message_id FROM {{ staging }}.dialogs_repeated)
) AS links
