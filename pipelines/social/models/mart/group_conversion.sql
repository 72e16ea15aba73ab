-- name: mart.group_conversion
-- description: Per registered group: members who joined (add), how many of them wrote in the group,
--   the conversion between the two, and every author of the group's messages for comparison
--   with the old course query. Definitions: pipelines/social/README.md and docs/semantics.md.
-- depends_on: dds.h_groups, dds.l_user_group_activity, dds.s_auth_history, dds.l_groups_dialogs, dds.l_user_message
-- materialized: table
-- test: unique(group_id)
-- test: not_null(group_conversion)
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
added_counts AS (
    SELECT hk_group_id, count(*) AS users FROM added GROUP BY hk_group_id
),
converted_counts AS (
    SELECT added.hk_group_id, count(*) AS users
    FROM added
    JOIN authors ON authors.hk_group_id = added.hk_group_id AND authors.hk_user_id = added.hk_user_id
    GROUP BY added.hk_group_id
),
author_counts AS (
    SELECT hk_group_id, count(*) AS users FROM authors GROUP BY hk_group_id
)
SELECT groups.group_id,
       groups.hk_group_id,
       groups.registration_dt,
       CAST(coalesce(added_counts.users, 0) AS BIGINT) AS cnt_added_users,
       CAST(coalesce(converted_counts.users, 0) AS BIGINT) AS cnt_users_in_group_with_messages,
       exact_ratio(coalesce(converted_counts.users, 0), coalesce(added_counts.users, 0)) AS group_conversion,
       CAST(coalesce(author_counts.users, 0) AS BIGINT) AS cnt_message_authors
FROM {{ dds }}.h_groups AS groups
LEFT JOIN added_counts ON added_counts.hk_group_id = groups.hk_group_id
LEFT JOIN converted_counts ON converted_counts.hk_group_id = groups.hk_group_id
LEFT JOIN author_counts ON author_counts.hk_group_id = groups.hk_group_id
