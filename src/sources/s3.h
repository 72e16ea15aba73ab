/* s3.h -- S3-compatible object storage as a source of files.
 *
 * Requests are signed with SigV4 by libcurl itself (CURLOPT_AWS_SIGV4);
 * the payload hash header is sent as UNSIGNED-PAYLOAD. Listing follows
 * ListObjectsV2 continuation tokens; downloads stream straight to a file
 * (temporary name, renamed when complete), are checked against the size
 * and ETag the listing announced, and are skipped when the cached copy
 * has the same ETag. Settings come from the environment:
 *
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   credentials (none: anonymous)
 *   AWS_SESSION_TOKEN                          temporary credentials
 *   AWS_REGION (or AWS_DEFAULT_REGION)         default us-east-1
 *   MARTLET_S3_ENDPOINT                        e.g. https://storage.yandexcloud.net
 *   MARTLET_S3_ADDRESSING                      path (default) or virtual
 *   MARTLET_S3_MAX_PAGES                       listing pages at most, default 10000
 *
 * No message contains a secret: errors name the bucket and the key (keys
 * and server text escaped, URLs without user-info). A listing that repeats
 * a continuation token fails; listed keys outside the prefix or whose path
 * would leave the output folder are skipped and counted. */
#ifndef MARTLET_S3_H
#define MARTLET_S3_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/error.h"

struct s3_config {
    char endpoint[512];
    char region[64];
    bool virtual_host;
    const char *access_key, *secret_key, *session_token;
    int max_attempts;
    long backoff_ms;
    int max_keys;             /* per listing page (MARTLET_S3_MAX_KEYS, default 1000) */
    int max_pages;            /* listing pages at most (MARTLET_S3_MAX_PAGES, default 10000) */
};

struct s3_sync_stats {
    int objects;
    int downloaded;
    int unchanged;
    int64_t bytes;
    int skipped;              /* listed objects not mirrored: outside the prefix, or an unsafe path */
    char first_skipped[300];  /* the first of them: 'key' (reason), escaped */
};

int s3_config_from_environment(struct s3_config *config, struct error *err);
int s3_sync(const struct s3_config *config, const char *url, const char *directory, struct s3_sync_stats *stats,
            struct error *err);

#endif
