-- name: dds.s_user_chatinfo
-- description: A user's chat name; a new row when it changes.
-- depends_on: staging.users
-- materialized: satellite
-- parent_key: hk_user_id
-- hashdiff: hashdiff
SELECT hk_user_id,
       chat_name,
       hash_key(key_part(chat_name)) AS hashdiff,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (SELECT hash_key(key_part(id)) AS hk_user_id, min(chat_name) AS chat_name
      FROM {{ staging }}.users GROUP BY id) AS users
