-- name: dds.s_group_name
-- description: A group's name; a new row when it changes.
-- depends_on: staging.groups
-- materialized: satellite
-- parent_key: hk_group_id
-- hashdiff: hashdiff
SELECT hk_group_id,
       group_name,
       hash_key(key_part(group_name)) AS hashdiff,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (SELECT hash_key(key_part(id)) AS hk_group_id, min(group_name) AS group_name
      FROM {{ staging }}.groups GROUP BY id) AS groups
