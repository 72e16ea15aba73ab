-- name: staging.dialogs_repeated
-- description: The message ids the run's dialogs rows list more than once (a resent export, overlapping files):
--   usually none. Found once here, so the hub, the links and the satellite of messages take every other row as it
--   is and group only these, never the millions of rows of a full load.
-- depends_on: staging.dialogs
-- materialized: table
SELECT message_id
FROM {{ staging }}.dialogs
GROUP BY message_id
HAVING count(*) > 1
