-- title: Group conversion -- the {{ top }} oldest groups
-- title_all: Group conversion -- all groups
-- description: Of the users who joined a group (add), the share who wrote at least one message in it.
--   Groups are the {{ top }} oldest by registration date; rows are sorted by conversion, best first.
--   course_conversion is the old course query's ratio, computed as it did: every author of the group's
--   messages, members or not, divided by the members who joined (docs/semantics.md), to reconcile the two.
-- chart_label: group
-- chart_value: conversion_percent, course_conversion_percent
-- chart_legend: Members who wrote ÷ members who joined, Course query: every author ÷ members who joined
-- chart_axis: Conversion, % of members who joined
-- chart_unit: %
WITH oldest AS (
    SELECT *
    FROM {{ mart }}.group_conversion
    ORDER BY registration_dt, group_id
    LIMIT {{ top }}
)
SELECT oldest.group_id,
       coalesce(names.group_name, '') AS "group",
       CAST(CAST(oldest.registration_dt AS DATE) AS TEXT) AS registered,
       oldest.cnt_added_users,
       oldest.cnt_users_in_group_with_messages,
       oldest.group_conversion,
       CAST(round(oldest.group_conversion * 100, 1) AS DECIMAL(5,1)) AS conversion_percent,
       oldest.cnt_message_authors,
       exact_ratio(oldest.cnt_message_authors, oldest.cnt_added_users) AS course_conversion,
       CAST(round(exact_ratio(oldest.cnt_message_authors, oldest.cnt_added_users) * 100, 1) AS DECIMAL(6,1))
           AS course_conversion_percent
FROM oldest
LEFT JOIN (
    SELECT hk_group_id, group_name
    FROM {{ dds }}.s_group_name AS name
    WHERE load_dt = (SELECT max(newest.load_dt) FROM {{ dds }}.s_group_name AS newest
                     WHERE newest.hk_group_id = name.hk_group_id)
) AS names ON names.hk_group_id = oldest.hk_group_id
ORDER BY oldest.group_conversion DESC, oldest.group_id
