-- ClickHouse variant of s_dialog_info.sql (header there): the same two parts without WITH.
SELECT hash_key(key_part(message_id)) AS hk_message_id,
       message,
       message_from,
       message_to,
       hash_key(key_part(message) || '||' || key_part(message_from) || '||' || key_part(message_to)) AS hashdiff,
       CAST('{{ run_started_at }}' AS TIMESTAMP) AS load_dt,
       CAST('{{ load_src }}' AS TEXT) AS load_src
FROM (
    SELECT message_id, message, message_from, message_to
    FROM {{ staging }}.dialogs
    WHERE message_id NOT IN (SELECT message_id FROM {{ staging }}.dialogs GROUP BY message_id HAVING count(*) > 1)
    UNION ALL
    SELECT message_id, min(message), min(message_from), min(message_to)
    FROM {{ staging }}.dialogs
    WHERE message_id IN (SELECT message_id FROM {{ staging }}.dialogs GROUP BY message_id HAVING count(*) > 1)
    GROUP BY message_id
) AS messages
