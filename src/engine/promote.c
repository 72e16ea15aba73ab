/* promote.c -- see promote.h. Every name spliced into SQL is a schema or
 * table name the pipeline loader checked, or a pipeline's and
 * environment's names, checked identifiers too. */
#include "promote.h"
#include "clickhouse_environment.h"
#include "clickhouse_run_state.h"
#include "environment.h"
#include "run_state.h"
#include "select.h"
#include "task.h"
#include "../util/clock.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum object_kind { OBJECT_NONE, OBJECT_TABLE, OBJECT_VIEW };

/* ClickHouse: no transactions; tables are swapped in by RENAME on every
 * server (clickhouse_environment.c), run records appended. */
static bool is_clickhouse(const struct warehouse *warehouse) {
    return strcmp(warehouse_dialect(warehouse), "clickhouse") == 0;
}

/* What schema.table is in the catalog: a table, a view or nothing. */
static int object_kind(struct warehouse *warehouse, const char *schema, const char *table, enum object_kind *kind,
                       struct error *err) {
    char sql[320], *value = NULL;
    if (is_clickhouse(warehouse)) /* no table_type there: the engine tells; no row, no object */
        snprintf(sql, sizeof sql, "SELECT if(engine = 'View', 'VIEW', 'BASE TABLE') FROM system.tables"
                                  " WHERE database = '%s' AND name = '%s'", schema, table);
    else
        snprintf(sql, sizeof sql,
                 "SELECT max(table_type) FROM information_schema.tables WHERE table_schema = '%s' AND table_name = '%s'",
                 schema, table);
    if (warehouse_query_value(warehouse, sql, &value, err) != 0) return -1;
    *kind = value == NULL ? OBJECT_NONE : strcmp(value, "VIEW") == 0 ? OBJECT_VIEW : OBJECT_TABLE;
    free(value);
    return 0;
}

/* Drops schema.table, whatever kind of object it is, if it exists. */
static int drop_object(struct warehouse *warehouse, const char *schema, const char *table, struct error *err) {
    enum object_kind kind;
    if (object_kind(warehouse, schema, table, &kind, err) != 0) return -1;
    if (kind == OBJECT_NONE) return 0;
    char sql[320];
    snprintf(sql, sizeof sql, "DROP %s %s.%s", kind == OBJECT_VIEW ? "VIEW" : "TABLE", schema, table);
    if (warehouse_execute(warehouse, sql, err) != 0) return error_prefix(err, "dropping prod's %s.%s", schema, table);
    return 0;
}

/* Moves a table from one schema to another: a rename on PostgreSQL, a copy
 * and a drop on DuckDB (see promote.h). */
static int move_table(struct warehouse *warehouse, const char *from, const char *to, const char *table, bool copy,
                      struct error *err) {
    char sql[400];
    if (is_clickhouse(warehouse)) return clickhouse_environment_move(warehouse, from, to, table, err);
    if (copy) {
        snprintf(sql, sizeof sql, "CREATE TABLE %s.%s AS SELECT * FROM %s.%s", to, table, from, table);
        if (warehouse_execute(warehouse, sql, err) != 0) return error_prefix(err, "copying %s.%s into %s", from, table, to);
        snprintf(sql, sizeof sql, "DROP TABLE %s.%s", from, table);
    } else {
        snprintf(sql, sizeof sql, "ALTER TABLE %s.%s SET SCHEMA %s", from, table, to);
    }
    if (warehouse_execute(warehouse, sql, err) != 0) return error_prefix(err, "moving %s.%s into %s", from, table, to);
    return 0;
}

/* Creates the view of a view model in prod again, from its SQL as prod
 * renders it, with the dates of the environment's latest run that built
 * it (today's if none is on record). Its data tests are checked as SQL
 * (a view's rows are those of the tables it reads, tested there). */
static int recreate_view(struct warehouse *warehouse, const struct pipeline *environment_pipeline,
                         const struct pipeline *prod_pipeline, size_t task, struct error *err) {
    char sql[512], today[11], started_at[CLOCK_TEXT_SIZE];
    clock_utc_date(today);
    clock_utc_text(started_at);
    snprintf(sql, sizeof sql,
             "SELECT CAST(r.start_date AS TEXT), CAST(r.end_date AS TEXT), CAST(r.run_id AS TEXT) FROM martlet.runs r"
             " JOIN martlet.task_runs t ON t.run_id = r.run_id WHERE r.pipeline = '%s' AND t.task = '%s'"
             " AND t.status = 'success' ORDER BY r.run_id DESC LIMIT 1",
             environment_state_name(environment_pipeline), select_task_name(prod_pipeline, task));
    struct warehouse_result *built = NULL;
    if (warehouse_query(warehouse, sql, &built, err) != 0) return -1;
    char start[11], end[11], run_id[24];
    bool known = built->row_count == 1;
    snprintf(start, sizeof start, "%s", known ? warehouse_result_cell(built, 0, 0) : today);
    snprintf(end, sizeof end, "%s", known ? warehouse_result_cell(built, 0, 1) : today);
    snprintf(run_id, sizeof run_id, "%s", known ? warehouse_result_cell(built, 0, 2) : "0");
    warehouse_result_free(built);
    struct run_request request = {.pipeline = prod_pipeline, .start_date = start, .end_date = end, .load_source = "file"};
    struct task_context context = {&request, NULL, started_at, run_id, false, true};
    struct task_outcome outcome;
    task_outcome_init(&outcome);
    int status = task_run_within(&context, task, warehouse, &outcome);
    if (status != 0) *err = outcome.error;
    task_outcome_free(&outcome);
    return status;
}

/* Promotes one table or view (already gone from prod). */
static int promote_one(struct warehouse *warehouse, const struct pipeline *environment_pipeline,
                       const struct pipeline *prod_pipeline, struct promoted_table *promoted, bool copy,
                       struct error *err) {
    const char *key, *table;
    environment_task_table(prod_pipeline, promoted->task, &key, &table);
    const char *from = pipeline_schema(environment_pipeline, key), *to = pipeline_schema(prod_pipeline, key);
    char relation[160];
    snprintf(relation, sizeof relation, "%s.%s", to, table);
    if (promoted->view) {
        if (recreate_view(warehouse, environment_pipeline, prod_pipeline, promoted->task, err) != 0) return -1;
        char sql[320];
        snprintf(sql, sizeof sql, "DROP VIEW %s.%s", from, table);
        return warehouse_execute(warehouse, sql, err);
    }
    if (move_table(warehouse, from, to, table, copy, err) != 0) return -1;
    if (promoted->task < prod_pipeline->source_count) { /* the load's rejects go with it */
        char rejects[128];
        snprintf(rejects, sizeof rejects, "%s_rejects", table);
        enum object_kind kind;
        if (object_kind(warehouse, from, rejects, &kind, err) != 0) return -1;
        if (kind == OBJECT_TABLE && ((!is_clickhouse(warehouse) && drop_object(warehouse, to, rejects, err) != 0) ||
                                     move_table(warehouse, from, to, rejects, copy, err) != 0))
            return -1;
    }
    char sql[256], *value = NULL;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", relation);
    if (warehouse_query_value(warehouse, sql, &value, err) != 0) return -1;
    promoted->rows = value ? strtoll(value, NULL, 10) : 0;
    free(value);
    return 0;
}

/* " IN ('mart.a', 'mart.b')" for the promoted tasks' names. */
static void task_list(const struct pipeline *pipeline, const struct promote_outcome *outcome, struct strbuf *sql) {
    strbuf_append_string(sql, " IN (");
    for (size_t i = 0; i < outcome->count; i++)
        strbuf_printf(sql, "%s'%s'", i ? ", " : "", select_task_name(pipeline, outcome->tables[i].task));
    strbuf_append_string(sql, ")");
}

/* Moves the records of the promoted tasks' successful environment runs
 * into new prod runs (promote.h), oldest first. */
static int move_run_records(struct warehouse *warehouse, const struct pipeline *environment_pipeline,
                            const struct pipeline *prod_pipeline, struct promote_outcome *outcome, struct error *err) {
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "SELECT DISTINCT r.run_id FROM martlet.runs r JOIN martlet.task_runs t ON t.run_id = r.run_id"
                        " WHERE r.pipeline = '%s' AND t.status = 'success' AND t.task",
                  environment_state_name(environment_pipeline));
    task_list(prod_pipeline, outcome, &sql);
    strbuf_append_string(&sql, " ORDER BY r.run_id");
    struct warehouse_result *runs = NULL;
    int status = warehouse_query(warehouse, strbuf_text(&sql), &runs, err);
    if (status == 0) {
        outcome->runs_from = memory_calloc(runs->row_count + 1, sizeof *outcome->runs_from);
        outcome->runs_to = memory_calloc(runs->row_count + 1, sizeof *outcome->runs_to);
    }
    for (size_t i = 0; status == 0 && i < runs->row_count; i++) {
        int64_t from = strtoll(warehouse_result_cell(runs, i, 0), NULL, 10);
        if (is_clickhouse(warehouse)) { /* appended there: the environment run keeps its records, marked promoted */
            strbuf_reset(&sql);
            task_list(prod_pipeline, outcome, &sql);
            int64_t to = 0;
            status = clickhouse_run_state_move_tasks(warehouse, from, prod_pipeline->name, strbuf_text(&sql), &to, err);
            outcome->runs_from[i] = from;
            outcome->runs_to[i] = to;
            outcome->run_count = i + 1;
            continue;
        }
        char *value = NULL;
        status = warehouse_query_value(warehouse, "SELECT nextval('martlet.run_id_sequence')", &value, err);
        int64_t to = value ? strtoll(value, NULL, 10) : 0;
        free(value);
        strbuf_reset(&sql);
        strbuf_printf(&sql, "INSERT INTO martlet.runs (run_id, pipeline, start_date, end_date, status, started_at,"
                            " finished_at, error, pid, host) SELECT %" PRId64 ", '%s', start_date, end_date, 'success',"
                            " started_at, finished_at, NULL, pid, host FROM martlet.runs WHERE run_id = %" PRId64,
                      to, prod_pipeline->name, from);
        if (status == 0) status = warehouse_execute(warehouse, strbuf_text(&sql), err);
        strbuf_reset(&sql);
        strbuf_printf(&sql, "UPDATE martlet.task_runs SET run_id = %" PRId64 " WHERE run_id = %" PRId64
                            " AND status = 'success' AND task", to, from);
        task_list(prod_pipeline, outcome, &sql);
        if (status == 0) status = warehouse_execute(warehouse, strbuf_text(&sql), err);
        strbuf_reset(&sql);
        strbuf_printf(&sql, "DELETE FROM martlet.runs WHERE run_id = %" PRId64
                            " AND NOT EXISTS (SELECT 1 FROM martlet.task_runs WHERE run_id = %" PRId64 ")", from, from);
        if (status == 0) status = warehouse_execute(warehouse, strbuf_text(&sql), err);
        outcome->runs_from[i] = from;
        outcome->runs_to[i] = to;
        outcome->run_count = i + 1;
    }
    warehouse_result_free(runs);
    strbuf_free(&sql);
    return status == 0 ? 0 : error_prefix(err, "moving the run records");
}

/* The run and start of a task's latest (or first) successful run under a
 * state name; *run_id 0 when none is on record. */
static int successful_build(struct warehouse *warehouse, const char *state_name, const char *task, bool first,
                            int64_t *run_id, char *started_at, size_t size, struct error *err) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT CAST(r.run_id AS TEXT), CAST(t.started_at AS TEXT) FROM martlet.runs r JOIN martlet.task_runs t"
             " ON t.run_id = r.run_id WHERE r.pipeline = '%s' AND t.task = '%s' AND t.status = 'success'"
             " ORDER BY t.started_at %s LIMIT 1", state_name, task, first ? "ASC" : "DESC");
    struct warehouse_result *result = NULL;
    if (warehouse_query(warehouse, sql, &result, err) != 0) return -1;
    *run_id = result->row_count ? strtoll(warehouse_result_cell(result, 0, 0), NULL, 10) : 0;
    snprintf(started_at, size, "%s", result->row_count ? warehouse_result_cell(result, 0, 1) : "");
    warehouse_result_free(result);
    return 0;
}

/* Refuses to promote a table prod built again after the environment's
 * copy of it was made: promoting would throw prod's newer rows away. The
 * copy dates from the environment's first successful build of a table
 * that keeps history (it started as a copy of prod's), from its latest
 * build of one rebuilt whole. Timestamps are UTC text of one format, so
 * they compare as text. */
static int check_not_stale(struct warehouse *warehouse, const struct pipeline *environment_pipeline,
                           const struct pipeline *prod_pipeline, size_t task, struct error *err) {
    const char *name = select_task_name(prod_pipeline, task);
    const struct model *model = task < prod_pipeline->source_count ? NULL
                                                                   : &prod_pipeline->models[task - prod_pipeline->source_count];
    bool keeps_history = model ? model->materialized != MATERIALIZE_TABLE && model->materialized != MATERIALIZE_VIEW
                               : prod_pipeline->sources[task].load == LOAD_REPLACE_DATES;
    int64_t environment_run, prod_run;
    char environment_since[40], prod_last[40];
    if (successful_build(warehouse, environment_state_name(environment_pipeline), name, keeps_history, &environment_run,
                         environment_since, sizeof environment_since, err) != 0 ||
        successful_build(warehouse, prod_pipeline->name, name, false, &prod_run, prod_last, sizeof prod_last, err) != 0)
        return -1;
    if (environment_run == 0 || prod_run == 0 || strcmp(prod_last, environment_since) <= 0) return 0;
    const char *key, *table;
    environment_task_table(prod_pipeline, task, &key, &table);
    char hint[200];
    if (keeps_history) /* its copy must start from prod's newer table again */
        snprintf(hint, sizeof hint, "drop %s.%s and run it in %s again", pipeline_schema(environment_pipeline, key), table,
                 environment_name(environment_pipeline));
    else
        snprintf(hint, sizeof hint, "run it in %s again", environment_name(environment_pipeline));
    return error_set(err, "prod built %s again (run %lld, %s) after environment %s's copy of it (run %lld): promoting "
                          "would lose prod's newer rows; %s, or leave it out of --select",
                     name, (long long)prod_run, prod_last, environment_name(environment_pipeline),
                     (long long)environment_run, hint);
}

/* Finds the selected tables the environment holds, in dependency order. */
static int find_promoted(struct warehouse *warehouse, const struct pipeline *environment_pipeline,
                         const struct pipeline *prod_pipeline, const bool *selected, struct promote_outcome *outcome,
                         struct error *err) {
    size_t total = select_task_count(prod_pipeline), count = 0;
    size_t *order = memory_calloc(total + 1, sizeof *order);
    outcome->tables = memory_calloc(total + 1, sizeof *outcome->tables);
    int status = select_order(prod_pipeline, selected, order, &count, err);
    for (size_t i = 0; i < count && status == 0; i++) {
        const char *key, *table;
        environment_task_table(prod_pipeline, order[i], &key, &table);
        enum object_kind kind;
        status = object_kind(warehouse, pipeline_schema(environment_pipeline, key), table, &kind, err);
        if (status != 0 || kind == OBJECT_NONE) {
            outcome->not_built += status == 0;
            continue;
        }
        bool view_model = order[i] >= prod_pipeline->source_count &&
                          prod_pipeline->models[order[i] - prod_pipeline->source_count].materialized == MATERIALIZE_VIEW;
        if (kind == OBJECT_VIEW && !view_model)
            status = error_set(err, "%s is a view in environment %s but its model is no view: run it there again first",
                               select_task_name(prod_pipeline, order[i]), environment_name(environment_pipeline));
        if (status == 0 && kind == OBJECT_TABLE)
            status = check_not_stale(warehouse, environment_pipeline, prod_pipeline, order[i], err);
        outcome->tables[outcome->count++] = (struct promoted_table){order[i], kind == OBJECT_VIEW, -1};
    }
    free(order);
    return status;
}

/* Promotes the selected tables (selected NULL: every one) the
 * environment holds into prod, with their run records, in one
 * transaction. environment_pipeline is the pipeline in the environment
 * (environment_apply), prod_pipeline the same pipeline in prod. */
int promote_environment(struct warehouse *warehouse, const struct pipeline *environment_pipeline,
                        const struct pipeline *prod_pipeline, const bool *selected, struct promote_outcome *outcome,
                        struct error *err) {
    memset(outcome, 0, sizeof *outcome);
    if (environment_is_prod(environment_pipeline)) return error_set(err, "prod is promoted into nothing: name an environment");
    const char *dialect = warehouse_dialect(warehouse);
    if (strcmp(dialect, "duckdb") != 0 && strcmp(dialect, "postgres") != 0 && !is_clickhouse(warehouse))
        return error_set(err, "promote needs DuckDB, PostgreSQL or ClickHouse, not %s", dialect);
    outcome->copied = strcmp(dialect, "duckdb") == 0;
    outcome->renamed_per_server = is_clickhouse(warehouse);
    if (run_state_prepare(warehouse, err) != 0) return -1;
    if (find_promoted(warehouse, environment_pipeline, prod_pipeline, selected, outcome, err) != 0) return -1;
    if (outcome->count == 0)
        return error_set(err, "nothing to promote: environment %s holds none of the selected tables (run them there first)",
                         environment_name(environment_pipeline));
    int status = warehouse_begin(warehouse, err);
    /* Dependants first: a view may read a table. ClickHouse swaps prod's object aside as it moves the table in. */
    for (size_t i = outcome->count; status == 0 && !outcome->renamed_per_server && i-- > 0;) {
        const char *key, *table;
        environment_task_table(prod_pipeline, outcome->tables[i].task, &key, &table);
        status = drop_object(warehouse, pipeline_schema(prod_pipeline, key), table, err);
    }
    for (size_t i = 0; status == 0 && i < outcome->count; i++) {
        status = promote_one(warehouse, environment_pipeline, prod_pipeline, &outcome->tables[i], outcome->copied, err);
        if (status != 0) error_prefix(err, "promoting %s", select_task_name(prod_pipeline, outcome->tables[i].task));
    }
    if (status == 0) status = move_run_records(warehouse, environment_pipeline, prod_pipeline, outcome, err);
    /* An environment promoted whole leaves empty schemas behind: they go too. */
    if (status == 0)
        status = environment_drop_empty_schemas(warehouse, environment_pipeline, &outcome->schemas_dropped, err);
    if (status == 0) status = warehouse_commit(warehouse, err);
    else warehouse_rollback(warehouse);
    return status;
}

/* Frees what an outcome holds. */
void promote_outcome_free(struct promote_outcome *outcome) {
    free(outcome->tables);
    free(outcome->runs_from);
    free(outcome->runs_to);
    memset(outcome, 0, sizeof *outcome);
}
