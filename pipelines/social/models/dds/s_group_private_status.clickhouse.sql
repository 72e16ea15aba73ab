-- ClickHouse variant of s_group_private_status.sql (header there): bool_or is max over UInt8 there, and the
-- key part is spelled 'true'/'false' as on DuckDB and PostgreSQL, keeping the hashdiff bit-identical.
SELECT hk_group_id,
       is_private,
       hash_key(key_part(CASE WHEN is_private IS NULL THEN NULL WHEN is_private = 1 THEN 'true' ELSE 'false' END))
           AS hashdiff,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (SELECT hash_key(key_part(id)) AS hk_group_id, max(is_private) AS is_private
      FROM {{ staging }}.groups GROUP BY id) AS groups
