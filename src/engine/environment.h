/* environment.h -- development environments: trying a change without
 * touching a production table.
 *
 * `--env dev` makes every task write into `<schema>__dev` (`mart__dev`,
 * `staging__dev`) instead of the plain schemas, which are the environment
 * `prod`. A task reads each table it references from the environment when
 * the table is there -- built now (the task is selected in this run) or by
 * an earlier run in the environment -- and from prod otherwise, so a run of
 * `--select f_sales+` in dev builds f_sales and what depends on it in dev
 * and reads everything else (staging, dimensions) from prod. The choice is
 * made per table, once per run, before any task starts
 * (environment_resolve), and applied to the SQL by rewriting each
 * `{{ schema }}.table` reference before the template is rendered
 * (environment_render); everything a task writes uses the pipeline's schema
 * names, which environment_apply has turned into the environment's.
 *
 * A model that keeps its history across runs (incremental_by_date,
 * insert_new_keys, satellite, script) and a replace_dates source start in
 * an environment from a copy of their prod table (environment_seed), so the
 * environment differs from prod only where its runs changed something, and
 * promoting it (promote.h) leaves prod whole.
 *
 * Runs in an environment are recorded under `<pipeline>__<env>` in
 * martlet.runs (environment_state_name): plan, backfill and status of one
 * environment never see another's dates; dev runs fire no alerts. */
#ifndef MARTLET_ENVIRONMENT_H
#define MARTLET_ENVIRONMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/error.h"
#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"
#include "pipeline.h"
#include "template.h"

#define ENVIRONMENT_PROD "prod"
#define ENVIRONMENT_NAME_MAX 24

struct environment {
    char *name;              /* "dev" */
    char *state_name;        /* "sales__dev": the pipeline's name in martlet.runs */
    char **prod_schemas;     /* per pipeline->schemas entry: the prod schema ("mart"; the entry now says "mart__dev") */
    bool *in_environment;    /* per task (select.h numbering): read from the environment, not prod */
};

int environment_check_name(const char *name, struct error *err);
int environment_apply(struct pipeline *pipeline, const char *name, struct error *err);
int environment_resolve(const struct pipeline *pipeline, struct warehouse *warehouse, const bool *built,
                        bool selection_builds, struct error *err);
bool environment_is_prod(const struct pipeline *pipeline);
const char *environment_name(const struct pipeline *pipeline);
const char *environment_state_name(const struct pipeline *pipeline);
void environment_state_name_for(const char *pipeline, const char *name, char *out, size_t size);
void environment_task_table(const struct pipeline *pipeline, size_t task, const char **schema_key, const char **table);
const char *environment_prod_schema(const struct pipeline *pipeline, const char *schema_key);
const char *environment_read_schema(const struct pipeline *pipeline, const char *schema_key, const char *table);
int environment_render(const struct pipeline *pipeline, const char *text, const struct template_variable *variables,
                       size_t count, struct strbuf *out, struct error *err);
int environment_table_exists(struct warehouse *warehouse, const char *schema, const char *table, bool *exists,
                             struct error *err);
int environment_seed_model(struct warehouse *warehouse, const struct pipeline *pipeline, const struct model *model,
                           struct strbuf *log, struct error *err);
int environment_seed_source(struct warehouse *warehouse, const struct pipeline *pipeline, const struct source *source,
                            struct error *err);
void environment_free(struct environment *environment);

/* What a warehouse holds of one environment of a pipeline (environment_catalog.c). */
struct environment_table {
    char *relation;          /* "mart__dev.f_sales" */
    bool view;
    int64_t rows;            /* -1 for a view */
};
struct environment_entry {
    char *name;              /* "dev" */
    struct environment_table *tables;
    size_t table_count;
    size_t empty_schemas;    /* its schemas that hold nothing */
    size_t runs;             /* its run records */
};
struct environment_list {
    struct environment_entry *entries;
    size_t count;
};

int environment_list(struct warehouse *warehouse, const struct pipeline *pipeline, struct environment_list *list,
                     struct error *err);
void environment_list_free(struct environment_list *list);
int environment_drop_empty_schemas(struct warehouse *warehouse, const struct pipeline *pipeline, size_t *dropped,
                                   struct error *err);
int environment_drop(struct warehouse *warehouse, const struct pipeline *pipeline, size_t *tables, size_t *schemas,
                     size_t *runs, struct error *err);

#endif
