-- name: dds.h_groups
-- description: Every group of groups.csv, the master source of groups.
-- depends_on: staging.groups
-- materialized: insert_new_keys
-- unique_key: hk_group_id
-- test: unique(hk_group_id)
-- test: not_null(hk_group_id, group_id)
SELECT hash_key(key_part(group_id)) AS hk_group_id,
       group_id,
       registration_dt,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (SELECT id AS group_id, min(registration_dt) AS registration_dt
      FROM {{ staging }}.groups GROUP BY id) AS groups
