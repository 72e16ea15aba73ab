/* fingerprint.h -- what built a table, so that a plan can tell which dates
 * an edit made stale.
 *
 * A task's definition is its rendered SQL (a model, with the warehouse's
 * NAME.DIALECT.sql variant) or its declared columns and load (a source),
 * normalized: comments and whitespace outside strings do not count,
 * unquoted words are lower-cased, and the run's variables ({{ ds }},
 * {{ start }}, {{ run_id }}, ...) are rendered as placeholders and schema
 * keys as themselves, so that one definition has one fingerprint on every
 * date and in every environment. The materialization and its keys come
 * first: changing them changes the definition. A second fingerprint covers
 * the whole file (header included), so that an edit of only the
 * description, tags or tests is seen -- and known to change no data.
 *
 * Each run records, per task, both fingerprints and the output columns
 * (names and types, as the warehouse reports them) in martlet.task_runs,
 * and each definition's normalized text once in martlet.model_versions:
 * what fingerprint_classify compares a new definition with. */
#ifndef MARTLET_FINGERPRINT_H
#define MARTLET_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/error.h"
#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"
#include "pipeline.h"

#define FINGERPRINT_SIZE 65   /* a SHA-256 in hex, and its NUL */

struct task_fingerprint {
    char definition[FINGERPRINT_SIZE];   /* of the normalized definition */
    char file[FINGERPRINT_SIZE];         /* of the file(s) as written, header included */
    char *normalized;                    /* the normalized definition (owned) */
};

/* How a definition changed, from the least to the most consequential. */
enum change_kind {
    CHANGE_NONE,       /* the same files */
    CHANGE_METADATA,   /* only the header (description, tags, tests) or comments: no data changes */
    CHANGE_ADDITIVE,   /* columns added at the end of the output, nothing else: the model's own dates
                          gain them, downstream is not affected */
    CHANGE_BREAKING,   /* anything else: the model's dates and everything downstream are stale */
};

void fingerprint_normalize(const char *sql, struct strbuf *out);
int fingerprint_task(const struct pipeline *pipeline, size_t task, const char *dialect, struct task_fingerprint *out,
                     struct error *err);
void fingerprint_free(struct task_fingerprint *fingerprint);
enum change_kind fingerprint_classify(const char *old_normalized, const char *new_normalized);
const char *change_kind_name(enum change_kind kind);
int fingerprint_record_run(struct warehouse *warehouse, const struct pipeline *pipeline, int64_t run_id,
                           const size_t *tasks, size_t count, struct error *err);

#endif
