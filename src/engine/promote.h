/* promote.h -- moving an environment's tables into prod (`martlet promote`).
 *
 * Promoting is a move, not a recompute: each selected table the
 * environment holds replaces prod's, in one transaction with the run
 * records that built it, so either everything moves or nothing does.
 *
 *   PostgreSQL   ALTER TABLE <schema>__<env>.t SET SCHEMA <schema> -- a
 *                rename in the catalog; the rows are not touched.
 *   DuckDB       has no way to move a table between schemas (ALTER TABLE
 *                ... SET SCHEMA is "not implemented" in 1.4, and RENAME TO
 *                stays in the schema), so the table is copied into prod and
 *                dropped from the environment, in the same one transaction.
 *   a view       holds no rows: it is created again in prod from the
 *                model's SQL as prod renders it (prod's tables, the dates
 *                of the environment run that built it) and dropped from the
 *                environment -- a view moved as it is would go on reading
 *                the environment's tables.
 *
 * Prod's object of the same name goes first (whatever its kind, a table
 * that became a view included); on PostgreSQL a prod view that reads a
 * promoted table and is not promoted itself makes the promotion fail
 * (promote it too: `--select name+`). A source's `<table>_rejects` moves
 * with it.
 *
 * The run records move too: every environment run in which a promoted
 * task succeeded gets a prod run (a new run id, the same dates and times)
 * holding those tasks' records, so prod's plan counts its dates done; the
 * environment keeps its other records, and a run left without any is
 * deleted. The environment no longer holds the tables and reads prod's;
 * its schemas left empty are dropped in the same transaction.
 *
 * A table prod built again after the environment's copy was made (after
 * the environment's first build of a table that keeps history, its latest
 * of one rebuilt whole) is refused: promoting it would lose prod's newer
 * rows. */
#ifndef MARTLET_PROMOTE_H
#define MARTLET_PROMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/error.h"
#include "../warehouse/warehouse.h"
#include "pipeline.h"

struct promoted_table {
    size_t task;              /* select.h numbering */
    bool view;                /* re-created, not moved */
    int64_t rows;             /* in prod afterwards; -1 for a view */
};

struct promote_outcome {
    struct promoted_table *tables;
    size_t count;
    size_t not_built;         /* selected, but the environment does not hold them */
    bool copied;              /* DuckDB: copied and dropped rather than renamed */
    bool renamed_per_server;  /* ClickHouse: no transaction, one RENAME per table on each server */
    int64_t *runs_from;       /* environment run ids whose records moved ... */
    int64_t *runs_to;         /* ... into these prod runs */
    size_t run_count;
    size_t schemas_dropped;   /* the environment's schemas left empty, dropped */
};

int promote_environment(struct warehouse *warehouse, const struct pipeline *environment_pipeline,
                        const struct pipeline *prod_pipeline, const bool *selected, struct promote_outcome *outcome,
                        struct error *err);
void promote_outcome_free(struct promote_outcome *outcome);

#endif
