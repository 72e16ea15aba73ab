/* source_fetch.c -- see source_fetch.h. Settings and secrets come from
 * the environment (report_api.h, s3.h); nothing here prints them. */
#include "source_fetch.h"
#include "../sources/report_api.h"
#include "../sources/s3.h"

#include <stdio.h>
#include <string.h>

/* Checks that the pipeline can be fetched the way `source` says ("files",
 * "api", "s3" -- the pipeline's own prefix -- or an s3:// URL). */
int source_fetch_prepare(struct source_fetch *fetch, const struct pipeline *pipeline, const char *source,
                         const char *directory, bool quiet, struct error *err) {
    *fetch = (struct source_fetch){.pipeline = pipeline, .directory = directory, .quiet = quiet};
    if (source == NULL || strcmp(source, "files") == 0) return 0;
    if (strcmp(source, "api") == 0) {
        fetch->kind = SOURCE_API;
        if (pipeline->api == NULL || strcmp(pipeline->api, "report_api") != 0)
            return error_set(err, "pipeline %s has no API source (\"api\" in pipeline.json)", pipeline->name);
        return 0;
    }
    if (strcmp(source, "s3") == 0 || strncmp(source, "s3://", 5) == 0) {
        fetch->kind = SOURCE_S3;
        fetch->s3_url = strcmp(source, "s3") == 0 ? pipeline->s3 : source;
        if (fetch->s3_url == NULL)
            return error_set(err, "pipeline %s declares no \"s3\" location: give --source s3://BUCKET/PREFIX/", pipeline->name);
        return 0;
    }
    return error_set(err, "unknown source '%s' (files, api, s3 or an s3:// URL)", source);
}

/* Mirrors the S3 prefix into the source folder (once per fetch). */
static int mirror(struct source_fetch *fetch, struct error *err) {
    if (fetch->mirrored) return 0;
    struct s3_config config;
    if (s3_config_from_environment(&config, err) != 0) return -1;
    struct s3_sync_stats stats;
    if (s3_sync(&config, fetch->s3_url, fetch->directory, &stats, err) != 0) return -1;
    fetch->mirrored = true;
    if (stats.skipped > 0) /* stderr: never mixed with --log-format json lines */
        fprintf(stderr, "warning: %s: skipped %d listed object(s) that are not safely under the prefix, the first %s\n",
                fetch->s3_url, stats.skipped, stats.first_skipped);
    if (!fetch->quiet)
        printf("%s: %d objects, %d downloaded (%.1f MB), %d unchanged, into %s\n", fetch->s3_url, stats.objects,
               stats.downloaded, (double)stats.bytes / 1e6, stats.unchanged, fetch->directory);
    return 0;
}

/* Fetches everything a full (history) load reads. */
int source_fetch_history(struct source_fetch *fetch, struct error *err) {
    if (fetch->kind == SOURCE_S3) return mirror(fetch, err);
    if (fetch->kind != SOURCE_API) return 0;
    struct report_api_config config;
    if (report_api_config_from_environment(&config, err) != 0) return -1;
    if (!fetch->quiet) printf("fetching the full report from the report API into %s\n", fetch->directory);
    return report_api_fetch_report(&config, fetch->directory, err);
}

/* Fetches what a run of one date reads. */
int source_fetch_date(struct source_fetch *fetch, const char *date, struct error *err) {
    if (fetch->kind == SOURCE_S3) return mirror(fetch, err);
    if (fetch->kind != SOURCE_API) return 0;
    struct report_api_config config;
    if (report_api_config_from_environment(&config, err) != 0) return -1;
    if (!fetch->quiet) printf("fetching the increment of %s from the report API\n", date);
    return report_api_fetch_increment(&config, fetch->directory, date, err);
}
