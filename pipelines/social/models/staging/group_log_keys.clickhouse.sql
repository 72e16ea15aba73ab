-- ClickHouse variant of group_log_keys.sql (header there): 18.16 has no WITH subqueries, so every key is
-- hashed on its row instead of once per distinct id and joined back; rows without a user or group are left
-- out, as the inner joins of the original leave them out.
SELECT hash_key(key_part(user_id) || '||' || key_part(group_id)) AS hk_l_user_group_activity,
       hash_key(key_part(user_id)) AS hk_user_id,
       hash_key(key_part(group_id)) AS hk_group_id,
       user_id,
       group_id,
       user_id_from,
       event,
       datetime
FROM {{ staging }}.group_log
WHERE user_id IS NOT NULL AND group_id IS NOT NULL
