-- ClickHouse variant of group_conversion.sql (header there): countIf for FILTER, a subquery for WITH.
SELECT group_id,
       hk_group_id,
       registration_dt,
       CAST(coalesce(added, 0) AS BIGINT) AS cnt_added_users,
       CAST(coalesce(converted, 0) AS BIGINT) AS cnt_users_in_group_with_messages,
       exact_ratio(coalesce(converted, 0), coalesce(added, 0)) AS group_conversion,
       CAST(coalesce(authors, 0) AS BIGINT) AS cnt_message_authors
FROM (SELECT group_id, hk_group_id, registration_dt FROM {{ dds }}.h_groups) AS groups
ALL LEFT JOIN (
    SELECT hk_group_id,
           countIf(joined_at IS NOT NULL) AS added,
           countIf(joined_at IS NOT NULL AND has_message = 1) AS converted,
           countIf(has_message = 1) AS authors
    FROM {{ mart }}.group_user_state
    GROUP BY hk_group_id
) AS counts USING (hk_group_id)
