-- name: dds.l_user_group_activity
-- description: User <-> group, one row per pair that appears in group_log. Key parts: user_id, group_id.
-- depends_on: staging.group_log
-- materialized: insert_new_keys
-- unique_key: hk_l_user_group_activity
SELECT DISTINCT
       hk_l_user_group_activity,
       hk_user_id,
       hk_group_id,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM {{ staging }}.group_log
