-- name: dds.s_user_socdem
-- description: A user's country and age; a new row when either changes.
-- depends_on: staging.users
-- materialized: satellite
-- parent_key: hk_user_id
-- hashdiff: hashdiff
SELECT hk_user_id,
       country,
       age,
       hash_key(key_part(country) || '||' || key_part(age)) AS hashdiff,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (SELECT hash_key(key_part(id)) AS hk_user_id, min(country) AS country, min(age) AS age
      FROM {{ staging }}.users GROUP BY id) AS users
