-- name: staging.group_log_keys
-- description: The run's group_log rows with every hash key computed once ("hash in the stage"), for the hubs,
--   links and satellites that read group_log. A user's and a group's key are hashed once per distinct id and
--   joined back on the integer id. Holds only the run's rows: its cost follows the run's data.
-- depends_on: staging.group_log
-- materialized: table
WITH users AS (
    SELECT user_id, hash_key(key_part(user_id)) AS hk_user_id
    FROM (SELECT DISTINCT user_id FROM {{ staging }}.group_log) AS ids
),
groups AS (
    SELECT group_id, hash_key(key_part(group_id)) AS hk_group_id
    FROM (SELECT DISTINCT group_id FROM {{ staging }}.group_log) AS ids
)
SELECT hash_key(key_part(log.user_id) || '||' || key_part(log.group_id)) AS hk_l_user_group_activity,
       users.hk_user_id,
       groups.hk_group_id,
       log.user_id,
       log.group_id,
       log.user_id_from,
       log.event,
       log.datetime
FROM {{ staging }}.group_log AS log
JOIN users ON users.user_id = log.user_id
JOIN groups ON groups.group_id = log.group_id
