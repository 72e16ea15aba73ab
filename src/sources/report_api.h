/* report_api.h -- the store's reporting API as a source of files.
 *
 * The API generates a report asynchronously (POST /generate_report, then
 * poll GET /get_report until SUCCESS) and hands out daily increments (GET
 * /get_increment); both answer with download URLs. This module turns them
 * into the folder layout the file source reads:
 *
 *   DIR/report.json                       report_id, start_day, end_date
 *   DIR/<name>.csv                        the report's files
 *   DIR/increments/YYYY-MM-DD/<name>.csv  one increment ("_inc" dropped)
 *
 * A fetch is all or nothing: files land under a temporary name and are
 * moved into place only when every download succeeded. Configuration comes
 * from the environment; the API key is sent as a header and never appears
 * in a message. */
#ifndef MARTLET_REPORT_API_H
#define MARTLET_REPORT_API_H

#include "../util/error.h"

struct report_api_config {
    const char *base_url;       /* MARTLET_API_URL */
    const char *nickname;       /* MARTLET_API_NICKNAME */
    const char *cohort;         /* MARTLET_API_COHORT */
    const char *api_key;        /* MARTLET_API_KEY */
    long poll_interval_ms;      /* MARTLET_API_POLL_MS, default 2000 */
    long max_wait_ms;           /* MARTLET_API_MAX_WAIT_S, default 600 s */
    int max_attempts;           /* MARTLET_API_RETRIES, default 5 */
    long backoff_ms;            /* MARTLET_API_BACKOFF_MS, default 500 */
};

int report_api_config_from_environment(struct report_api_config *config, struct error *err);
int report_api_fetch_report(const struct report_api_config *config, const char *directory, struct error *err);
int report_api_fetch_increment(const struct report_api_config *config, const char *directory, const char *date,
                               struct error *err);

#endif
