-- ClickHouse variant of group_user_state.sql (header there). 18.16 has one JOIN per SELECT, no WITH, no
-- correlated DELETE and no temporary tables outside a session, so the table is rebuilt from the whole Data
-- Vault into group_user_state__new and swapped in with one RENAME when complete: the same rows the
-- incremental original keeps (every pair with an add or a message in its group), a failed run leaves the
-- previous table. Booleans are UInt8 there, timestamps text (which compares like the instants).
DROP TABLE IF EXISTS {{ mart }}.group_user_state__new;

CREATE TABLE {{ mart }}.group_user_state__new AS
SELECT hk_group_id, hk_user_id, joined_at, has_message, first_message_at
FROM (
    -- pairs with messages in the group: when the user joined (if ever), the first message at or after it
    SELECT hk_group_id,
           hk_user_id,
           any(joined_dt) AS joined_at,
           toUInt8(1) AS has_message,
           min(if(message_ts >= joined_dt, message_ts, NULL)) AS first_message_at
    FROM (
        SELECT hk_group_id, hk_user_id, message_ts
        FROM (
            SELECT hk_message_id, hk_group_id, hk_user_id
            FROM (SELECT hk_message_id, hk_group_id FROM {{ dds }}.l_groups_dialogs) AS in_group
            ALL INNER JOIN (SELECT hk_message_id, hk_user_id FROM {{ dds }}.l_user_message) AS author USING (hk_message_id)
        ) AS messages
        ALL LEFT JOIN (SELECT hk_message_id, message_ts FROM {{ dds }}.h_dialogs) AS message USING (hk_message_id)
    ) AS authored
    ALL LEFT JOIN (
        SELECT hk_group_id, hk_user_id, min(event_dt) AS joined_dt
        FROM (SELECT hk_l_user_group_activity, hk_group_id, hk_user_id FROM {{ dds }}.l_user_group_activity) AS link
        ALL INNER JOIN (SELECT hk_l_user_group_activity, event_dt FROM {{ dds }}.s_auth_history WHERE event = 'add')
            AS history USING (hk_l_user_group_activity)
        GROUP BY hk_group_id, hk_user_id
    ) AS joined USING (hk_group_id, hk_user_id)
    GROUP BY hk_group_id, hk_user_id
    UNION ALL
    -- pairs that joined and never wrote in the group
    SELECT hk_group_id, hk_user_id, joined_at, toUInt8(0) AS has_message, CAST(NULL AS Nullable(String)) AS first_message_at
    FROM (
        SELECT hk_group_id, hk_user_id, min(event_dt) AS joined_at
        FROM (SELECT hk_l_user_group_activity, hk_group_id, hk_user_id FROM {{ dds }}.l_user_group_activity) AS link
        ALL INNER JOIN (SELECT hk_l_user_group_activity, event_dt FROM {{ dds }}.s_auth_history WHERE event = 'add')
            AS history USING (hk_l_user_group_activity)
        GROUP BY hk_group_id, hk_user_id
    ) AS joined_only
    WHERE (hk_group_id, hk_user_id) NOT IN (
        SELECT hk_group_id, hk_user_id
        FROM (SELECT hk_message_id, hk_group_id FROM {{ dds }}.l_groups_dialogs) AS in_group
        ALL INNER JOIN (SELECT hk_message_id, hk_user_id FROM {{ dds }}.l_user_message) AS author USING (hk_message_id)
    )
) AS pairs;

CREATE TABLE IF NOT EXISTS {{ mart }}.group_user_state AS SELECT * FROM {{ mart }}.group_user_state__new LIMIT 0;

DROP TABLE IF EXISTS {{ mart }}.group_user_state__old;

RENAME TABLE {{ mart }}.group_user_state TO {{ mart }}.group_user_state__old,
             {{ mart }}.group_user_state__new TO {{ mart }}.group_user_state;

DROP TABLE {{ mart }}.group_user_state__old;
