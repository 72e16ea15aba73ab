-- ClickHouse variant of s_admins.sql (header there): a boolean is UInt8 there, so its key part is spelled
-- 'true' as on DuckDB and PostgreSQL, keeping the hashdiff bit-identical.
SELECT hk_l_admin_id,
       is_admin,
       admin_from,
       hash_key(key_part(if(is_admin = 1, 'true', 'false')) || '||' || key_part(admin_from)) AS hashdiff,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (SELECT hash_key(key_part(id) || '||' || key_part(admin_id)) AS hk_l_admin_id,
             true AS is_admin, min(registration_dt) AS admin_from
      FROM {{ staging }}.groups WHERE admin_id IS NOT NULL GROUP BY id, admin_id) AS admins
