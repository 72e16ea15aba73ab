-- name: dds.s_admins
-- description: Admin status of a group's admin, since the group's registration.
-- depends_on: staging.groups
-- materialized: satellite
-- parent_key: hk_l_admin_id
-- hashdiff: hashdiff
SELECT hk_l_admin_id,
       is_admin,
       admin_from,
       hash_key(key_part(is_admin) || '||' || key_part(admin_from)) AS hashdiff,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (SELECT hash_key(key_part(id) || '||' || key_part(admin_id)) AS hk_l_admin_id,
             true AS is_admin, min(registration_dt) AS admin_from
      FROM {{ staging }}.groups WHERE admin_id IS NOT NULL GROUP BY id, admin_id) AS admins
