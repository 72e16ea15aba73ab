/* dry_run.h -- `martlet run --dry-run`: every statement of the selected
 * tasks checked against the warehouse, nothing written.
 *
 * All tasks run in dependency order on one connection inside one
 * transaction that is rolled back at the end (DDL is transactional on
 * DuckDB and PostgreSQL), so a statement reading a table an earlier task
 * creates or changes is checked against that table. Sources get their
 * tables (empty when new) but are not loaded: their files are only found.
 * Nothing is recorded in martlet.runs. The first failure ends the check:
 * the warehouse refuses further statements in a failed transaction. */
#ifndef MARTLET_DRY_RUN_H
#define MARTLET_DRY_RUN_H

#include "../warehouse/warehouse.h"
#include "runner.h"

struct dry_run_outcome {
    size_t checked;          /* tasks whose statements all ran */
    size_t failed;           /* 0 or 1: the check stops at the first failure */
    size_t not_checked;      /* tasks after it */
    char first_error[ERROR_MESSAGE_SIZE];
};

int dry_run_check(struct warehouse *warehouse, const struct run_request *request, struct dry_run_outcome *outcome,
                  struct error *err);

#endif
