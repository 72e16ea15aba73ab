-- name: dds.h_users
-- description: Every user of users.csv, the master source of users (see the pipeline README on orphans).
-- depends_on: staging.users
-- materialized: insert_new_keys
-- unique_key: hk_user_id
-- test: unique(hk_user_id)
-- test: not_null(hk_user_id, user_id)
SELECT hash_key(key_part(user_id)) AS hk_user_id,
       user_id,
       registration_dt,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (SELECT id AS user_id, min(registration_dt) AS registration_dt
      FROM {{ staging }}.users GROUP BY id) AS users
