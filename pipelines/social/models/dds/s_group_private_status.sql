-- name: dds.s_group_private_status
-- description: Whether a group is private; a new row when it changes.
-- depends_on: staging.groups
-- materialized: satellite
-- parent_key: hk_group_id
-- hashdiff: hashdiff
SELECT hk_group_id,
       is_private,
       hash_key(key_part(is_private)) AS hashdiff,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (SELECT hash_key(key_part(id)) AS hk_group_id, bool_or(is_private) AS is_private
      FROM {{ staging }}.groups GROUP BY id) AS groups
