-- name: mart.group_conversion
-- description: Per registered group: members who joined (add), how many of them wrote in the group,
--   the conversion between the two, and every author of the group's messages for comparison
--   with the old course query. Definitions: pipelines/social/README.md and SEMANTICS.md.
-- depends_on: dds.h_groups, dds.l_user_group_activity, dds.s_auth_history, dds.l_groups_dialogs, dds.l_user_message
-- materialized: table
WITH added AS (
    SELECT DISTINCT link.hk_group_id, link.hk_user_id
    FROM {{ dds }}.l_user_group_activity AS link
    JOIN {{ dds }}.s_auth_history AS history ON history.hk_l_user_group_activity = link.hk_l_user_group_activity
    WHERE history.event = 'add'
),
authors AS (
    SELECT DISTINCT in_group.hk_group_id, author.hk_user_id
    FROM {{ dds }}.l_groups_dialogs AS in_group
    JOIN {{ dds }}.l_user_message AS author ON author.hk_message_id = in_group.hk_message_id
),
counts AS (
    SELECT groups.hk_group_id,
           (SELECT count(*) FROM added WHERE added.hk_group_id = groups.hk_group_id) AS cnt_added_users,
           (SELECT count(*) FROM added JOIN authors ON authors.hk_group_id = added.hk_group_id
                                                   AND authors.hk_user_id = added.hk_user_id
            WHERE added.hk_group_id = groups.hk_group_id) AS cnt_users_in_group_with_messages,
           (SELECT count(*) FROM authors WHERE authors.hk_group_id = groups.hk_group_id) AS cnt_message_authors
    FROM {{ dds }}.h_groups AS groups
)
SELECT groups.group_id,
       groups.hk_group_id,
       groups.registration_dt,
       CAST(counts.cnt_added_users AS BIGINT) AS cnt_added_users,
       CAST(counts.cnt_users_in_group_with_messages AS BIGINT) AS cnt_users_in_group_with_messages,
       exact_ratio(counts.cnt_users_in_group_with_messages, counts.cnt_added_users) AS group_conversion,
       CAST(counts.cnt_message_authors AS BIGINT) AS cnt_message_authors
FROM {{ dds }}.h_groups AS groups
JOIN counts ON counts.hk_group_id = groups.hk_group_id
