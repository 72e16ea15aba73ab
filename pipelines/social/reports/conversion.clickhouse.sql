-- ClickHouse variant of conversion.sql (header there): 18.16 has no WITH and no correlated subquery, so the oldest
-- groups are a subquery and each group's latest name is argMax over load_dt (in a tuple: argMax skips a NULL
-- name, which must win there too when it is the latest), joined once on the hash key.
SELECT group_id,
       coalesce(group_name, '') AS "group",
       CAST(CAST(registration_dt AS DATE) AS TEXT) AS registered,
       cnt_added_users,
       cnt_users_in_group_with_messages,
       group_conversion,
       CAST(round(group_conversion * 100, 1) AS DECIMAL(5,1)) AS conversion_percent,
       cnt_message_authors,
       exact_ratio(cnt_message_authors, cnt_added_users) AS course_conversion,
       CAST(round(exact_ratio(cnt_message_authors, cnt_added_users) * 100, 1) AS DECIMAL(6,1))
           AS course_conversion_percent
FROM (
    SELECT *
    FROM {{ mart }}.group_conversion
    ORDER BY registration_dt, group_id
    LIMIT {{ top }}
) AS oldest
ALL LEFT JOIN (
    SELECT hk_group_id, tupleElement(latest, 1) AS group_name
    FROM (SELECT hk_group_id, argMax(tuple(group_name), load_dt) AS latest
          FROM {{ dds }}.s_group_name
          GROUP BY hk_group_id) AS versions
) AS names USING (hk_group_id)
ORDER BY group_conversion DESC, group_id
