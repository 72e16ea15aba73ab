-- name: dds.s_auth_history
-- description: The group_log events of a user in a group: one row per distinct (user, group, event, event time).
--   user_id_from is the inviting user, NULL when the user joined alone; if one event carries two
--   inviters (never seen, but possible), the smaller id is kept so reloads stay deterministic.
--   The unique key is what insert_new_keys enforces (and the SELECT groups by it), so no unique() test: it
--   grouped the whole table, every day (0.57 of a day's ~7 CPU-s at scale 1). The link key stands for its
--   (user, group) pair, so the rows are grouped by the unique key alone, not by the ids beside it.
-- depends_on: staging.group_log, dds.l_user_group_activity
-- materialized: insert_new_keys
-- unique_key: hk_l_user_group_activity, event, event_dt
-- test: accepted_values(event: create | add | leave)
SELECT hk_l_user_group_activity,
       min(user_id_from) AS user_id_from,
       event,
       datetime AS event_dt,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM {{ staging }}.group_log
GROUP BY hk_l_user_group_activity, event, datetime
