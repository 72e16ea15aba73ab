-- name: dds.l_admins
-- description: Group -> its admin user. Key parts: group id, admin_id.
-- depends_on: staging.groups
-- materialized: insert_new_keys
-- unique_key: hk_l_admin_id
SELECT DISTINCT
       hash_key(key_part(id) || '||' || key_part(admin_id)) AS hk_l_admin_id,
       hash_key(key_part(id)) AS hk_group_id,
       hash_key(key_part(admin_id)) AS hk_user_id,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM {{ staging }}.groups
WHERE admin_id IS NOT NULL
