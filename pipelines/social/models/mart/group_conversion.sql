-- name: mart.group_conversion
-- description: Per registered group: members who joined (add), how many of them wrote in the group,
--   the conversion between the two, and every author of the group's messages for comparison
--   with the old course query. Definitions: pipelines/social/README.md and docs/semantics.md.
--   Counted from mart.group_user_state (one row per group and user), so a run never rescans the Data Vault.
-- depends_on: dds.h_groups, mart.group_user_state
-- materialized: table
-- test: unique(group_id)
-- test: not_null(group_conversion)
WITH counts AS (
    SELECT hk_group_id,
           count(*) FILTER (WHERE joined_at IS NOT NULL) AS added,
           count(*) FILTER (WHERE joined_at IS NOT NULL AND has_message) AS converted,
           count(*) FILTER (WHERE has_message) AS authors
    FROM {{ mart }}.group_user_state
    GROUP BY hk_group_id
)
SELECT groups.group_id,
       groups.hk_group_id,
       groups.registration_dt,
       CAST(coalesce(counts.added, 0) AS BIGINT) AS cnt_added_users,
       CAST(coalesce(counts.converted, 0) AS BIGINT) AS cnt_users_in_group_with_messages,
       exact_ratio(coalesce(counts.converted, 0), coalesce(counts.added, 0)) AS group_conversion,
       CAST(coalesce(counts.authors, 0) AS BIGINT) AS cnt_message_authors
FROM {{ dds }}.h_groups AS groups
LEFT JOIN counts ON counts.hk_group_id = groups.hk_group_id
