/* model_references.h -- the tables a model's SQL reads, and the rule that
 * its declared order guarantees each one.
 *
 * A reference is `{{ <schema key> }}.<table>` in the model's SQL, outside
 * comments and string literals (`{{ staging }}.users`, `{{ mart }}.f_sales`).
 * Each must name a source or a model of the pipeline (a source's
 * `<table>_rejects` counts as the source). A model with `-- depends_on:`
 * must list every table it references there, so it never reads a table
 * that might not be written yet; a model without it depends on exactly
 * the tables it references (like dbt's ref()). A model's references to
 * itself (a script writing its own table) are not dependencies. */
#ifndef MARTLET_MODEL_REFERENCES_H
#define MARTLET_MODEL_REFERENCES_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"
#include "pipeline.h"

int model_references_resolve(struct pipeline *pipeline, struct model *model, struct error *err);
bool model_references_reads(const struct pipeline *pipeline, const char *text, const char *name);
size_t model_references_match(const char *text, const char **key, size_t *key_length, const char **table,
                              size_t *table_length);

#endif
