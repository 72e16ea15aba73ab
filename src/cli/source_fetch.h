/* source_fetch.h -- filling a pipeline's source folder from where its
 * files live remotely, before a run: the report API (the full report, or
 * one date's increment) or an S3 prefix (mirrored; unchanged objects are
 * not downloaded again). Used by `run --source` and by `schedule`. */
#ifndef MARTLET_SOURCE_FETCH_H
#define MARTLET_SOURCE_FETCH_H

#include <stdbool.h>

#include "../engine/pipeline.h"
#include "../util/error.h"

enum source_kind { SOURCE_FILES, SOURCE_API, SOURCE_S3 };

struct source_fetch {
    const struct pipeline *pipeline;
    const char *directory;       /* the source folder to fill */
    enum source_kind kind;
    const char *s3_url;          /* SOURCE_S3: s3://bucket/prefix/ */
    bool quiet;
    bool mirrored;               /* SOURCE_S3: one mirror serves every date */
};

int source_fetch_prepare(struct source_fetch *fetch, const struct pipeline *pipeline, const char *source,
                         const char *directory, bool quiet, struct error *err);
int source_fetch_history(struct source_fetch *fetch, struct error *err);
int source_fetch_date(struct source_fetch *fetch, const char *date, struct error *err);

#endif
