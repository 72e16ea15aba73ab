/* task.c -- see task.h. */
#include "task.h"
#include "data_tests.h"
#include "environment.h"
#include "fingerprint.h"
#include "materialize.h"
#include "select.h"
#include "template.h"
#include "watchdog.h"
#include "../loader/loader.h"
#include "../util/memory.h"
#include "../util/message.h"

#include <ctype.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Backoff before attempt n+1: 0.2 s doubling per attempt, at most 10 s,
 * plus up to half again, varied per task so that two tasks that clashed
 * do not clash again on the same beat. */
static long backoff_ms(int attempt, size_t task) {
    long delay = 200L << (attempt - 1 < 6 ? attempt - 1 : 6);
    if (delay > 10000) delay = 10000;
    return delay + delay * (long)((task * 37 + (size_t)attempt * 11) % 50) / 100;
}

/* The variables every model can use: dates, run facts, schema names. */
static size_t template_variables(const struct task_context *context, const char *this_relation,
                                 struct template_variable *variables, size_t capacity) {
    const struct run_request *request = context->request;
    const struct pipeline *pipeline = request->pipeline;
    size_t count = 0;
    variables[count++] = (struct template_variable){"ds", request->start_date};
    variables[count++] = (struct template_variable){"start", request->start_date};
    variables[count++] = (struct template_variable){"end", request->end_date};
    variables[count++] = (struct template_variable){"run_started_at", context->run_started_at};
    variables[count++] = (struct template_variable){"run_id", context->run_id_text};
    variables[count++] = (struct template_variable){"load_src", request->load_source};
    variables[count++] = (struct template_variable){"pipeline", pipeline->name};
    variables[count++] = (struct template_variable){"this", this_relation};
    for (size_t i = 0; i < pipeline->schema_count && count < capacity; i++)
        variables[count++] = (struct template_variable){pipeline->schemas[i].key, pipeline->schemas[i].name};
    return count;
}

/* Loads one source's files (resolved before the run started). */
static int run_source(const struct task_context *context, size_t index, struct warehouse *warehouse,
                      struct task_outcome *outcome, struct error *err) {
    const struct run_request *request = context->request;
    const struct pipeline *pipeline = request->pipeline;
    const struct source *source = &pipeline->sources[index];
    struct source_dates dates = {request->start_date, request->end_date, request->history};
    struct source_result result = {0};
    int status = environment_seed_source(warehouse, pipeline, source, err);
    if (status == 0)
        status = source_task_run(warehouse, pipeline, source, &context->files[index], &dates,
                                 strtoll(context->run_id_text, NULL, 10),
                                 context->keep_statements ? &outcome->statements : NULL, &result, err);
    outcome->record.rows_read = result.rows_read;
    outcome->record.rows_loaded = result.rows_loaded;
    outcome->record.rows_rejected = result.rows_rejected;
    outcome->record.rows_duplicate = result.rows_duplicate;
    outcome->record.unchanged = result.skipped; /* the table is as that load left it */
    char relation[160];
    snprintf(relation, sizeof relation, "%s.%s", pipeline_schema(pipeline, source->schema_key), source->table);
    if (status == 0 && !result.skipped) status = warehouse_refresh_statistics(warehouse, relation, err);
    struct data_tests_target tests = {source->tests, source->test_count, false, relation, request->end_date};
    if (status == 0 && !result.skipped && data_tests_run(warehouse, pipeline, &tests, &outcome->warnings, err) != 0)
        status = error_prefix(err, "source %s", source->name);
    if (result.warning[0]) strbuf_printf(&outcome->warnings, "%s\n", result.warning);
    return status;
}

/* Whether line `number` (from 1) of text shows the fragment a warehouse
 * quoted for it (compared without surrounding blanks, at most 40 bytes). */
static bool line_shows(const char *text, long number, const char *fragment, size_t length) {
    while (length > 0 && isspace((unsigned char)*fragment)) fragment++, length--;
    while (length > 0 && isspace((unsigned char)fragment[length - 1])) length--;
    if (length > 40) length = 40;
    for (long at = 1; at < number && text; at++) {
        text = strchr(text, '\n');
        if (text) text++;
    }
    if (text == NULL || length == 0) return false;
    size_t line_length = strcspn(text, "\n");
    return memmem(text, line_length, fragment, length) != NULL;
}

/* Names the model file in front of a failure of its SQL, and the line when
 * the warehouse pointed at one ("LINE 5:" in DuckDB's and PostgreSQL's
 * messages). The statement wraps the rendered file after one line of its
 * own ("CREATE TABLE x AS\n<file>"), except a script, which is the file;
 * templates never add lines, so statement line N is file line N - 1. The
 * line is named only when the text the warehouse quoted is on it. */
static void name_model_location(const struct model *model, const char *rendered, struct error *err) {
    long line;
    const char *fragment;
    size_t length;
    if (message_statement_context(err->message, &line, &fragment, &length)) {
        long file_line = model->materialized == MATERIALIZE_SCRIPT ? line : line - 1;
        if (file_line >= 1 && line_shows(rendered, file_line, fragment, length)) {
            error_prefix(err, "%s:%ld", model->path, file_line);
            return;
        }
    }
    error_prefix(err, "%s", model->path);
}

/* The model's physical schema.table, and its file rendered with the run's
 * variables: what run_model and task_compile both start from. */
static int render_model(const struct task_context *context, const struct model *model, const struct model_variant *variant,
                        char *relation, size_t relation_size, struct strbuf *sql, struct error *err) {
    const struct pipeline *pipeline = context->request->pipeline;
    snprintf(relation, relation_size, "%s.%s", pipeline_schema(pipeline, model->schema_key), model->table);
    struct template_variable variables[64];
    size_t count = template_variables(context, relation, variables, 64);
    if (environment_render(pipeline, variant ? variant->sql : model->sql, variables, count, sql, err) != 0)
        return error_prefix(err, "%s", variant ? variant->path : model->path);
    return 0;
}

/* ---- skipping a rebuild that would change nothing -------------------- */

/* Whether the model may be left unbuilt when its inputs are what its last
 * build read. Only where a rebuild from the same rows provably writes
 * nothing: insert_new_keys (every key of those rows is in the table
 * already) and satellite (each key's version valid on the date is those
 * rows' content already; see build_is_current for the dates). Not a table,
 * view or script (rebuilt whole, with this run's load_dt), not
 * incremental_by_date (its rows are the run's dates'); not in a dry run, an
 * environment (which may read prod's tables) or on ClickHouse (no
 * transactions to keep the record with the table). */
static bool may_skip_rebuild(const struct task_context *context, const struct model *model,
                             const struct warehouse *warehouse) {
    return !context->dry_run && environment_is_prod(context->request->pipeline) &&
           (model->materialized == MATERIALIZE_INSERT_NEW_KEYS || model->materialized == MATERIALIZE_SATELLITE) &&
           strcmp(warehouse_dialect(warehouse), "clickhouse") != 0;
}

/* Adds text and a separator to a digest (ok stays false once a step failed). */
static void digest_add(EVP_MD_CTX *digest, bool *ok, const char *text) {
    *ok = *ok && EVP_DigestUpdate(digest, text, strlen(text)) == 1 && EVP_DigestUpdate(digest, "\n", 1) == 1;
}

/* The task number of a task name, or SIZE_MAX. */
static size_t task_named(const struct pipeline *pipeline, const char *name) {
    for (size_t task = 0; task < select_task_count(pipeline); task++)
        if (strcmp(select_task_name(pipeline, task), name) == 0) return task;
    return SIZE_MAX;
}

/* What a build of the model reads, as a SHA-256 in hex: its definition
 * (materialization, keys, normalized SQL: fingerprint.h), its SQL rendered
 * for this run with the run's own id and start time left out (they only
 * stamp the rows a build writes: load_dt) -- so a model using {{ ds }}
 * reads something else on another date -- and per dependency its
 * definition and the last run that may have written its table. Also
 * gives the last run that may have written the model's own table
 * (*own_write): its last build must be that run's, or something else
 * (an environment promoted, a failed or crashed attempt) came after it. */
static int model_inputs(const struct task_context *context, size_t task, const struct model *model,
                        const struct model_variant *variant, struct warehouse *warehouse,
                        char inputs[FINGERPRINT_SIZE], int64_t *own_write, struct error *err) {
    const struct pipeline *pipeline = context->request->pipeline;
    struct task_context neutral = *context;
    neutral.run_started_at = "";
    neutral.run_id_text = "";
    char relation[160];
    struct strbuf sql;
    strbuf_init(&sql);
    size_t count = model->depends_count + 1;
    const char **names = memory_calloc(count, sizeof *names);
    int64_t *runs = memory_calloc(count, sizeof *runs);
    struct task_fingerprint own = {0};
    int status = render_model(&neutral, model, variant, relation, sizeof relation, &sql, err);
    if (status == 0) status = fingerprint_task(pipeline, task, warehouse_dialect(warehouse), &own, err);
    for (size_t d = 0; d < model->depends_count; d++) names[d] = model->depends_on[d];
    names[count - 1] = select_task_name(pipeline, task);
    if (status == 0)
        status = run_state_last_writes(warehouse, environment_state_name(pipeline), strtoll(context->run_id_text, NULL, 10),
                                       names[count - 1], names, count, runs, err);
    EVP_MD_CTX *digest = EVP_MD_CTX_new();
    bool ok = digest && EVP_DigestInit_ex(digest, EVP_sha256(), NULL) == 1;
    digest_add(digest, &ok, "martlet model inputs 1");
    digest_add(digest, &ok, own.definition);
    digest_add(digest, &ok, strbuf_text(&sql));
    for (size_t d = 0; status == 0 && d + 1 < count; d++) {
        size_t upstream = task_named(pipeline, names[d]);
        struct task_fingerprint definition = {0};
        if (upstream != SIZE_MAX)
            status = fingerprint_task(pipeline, upstream, warehouse_dialect(warehouse), &definition, err);
        char line[400];
        snprintf(line, sizeof line, "%s=%" PRId64 ":%s", names[d], runs[d], definition.definition);
        digest_add(digest, &ok, line);
        fingerprint_free(&definition);
    }
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    ok = ok && EVP_DigestFinal_ex(digest, sum, &size) == 1 && size == 32;
    for (unsigned int i = 0; ok && i < size; i++) snprintf(inputs + 2 * i, 3, "%02x", sum[i]);
    if (status == 0 && !ok) status = error_set(err, "cannot digest the inputs of %s", model->name);
    *own_write = runs[count - 1];
    EVP_MD_CTX_free(digest);
    fingerprint_free(&own);
    free(names);
    free(runs);
    strbuf_free(&sql);
    return status;
}

/* Whether relation (schema.table, a validated name) is a table now: a
 * build on record whose table was dropped by hand is built again. */
static int table_exists(struct warehouse *warehouse, const char *relation, bool *exists, struct error *err) {
    const char *dot = strchr(relation, '.');
    char sql[400], *value = NULL;
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM information_schema.tables WHERE table_schema = '%.*s' AND table_name = '%s'",
             (int)(dot - relation), relation, dot + 1);
    if (warehouse_query_value(warehouse, sql, &value, err) != 0) return -1;
    *exists = value && strtoll(value, NULL, 10) > 0;
    free(value);
    return 0;
}

/* Whether the last build (read from the same inputs) left what a build now
 * would. insert_new_keys: always (its keys are there). A satellite built
 * for date b: a build for the same date writes nothing (loading the same
 * content again never does); for a later date d, the version valid on d
 * is the one valid on b when no version starts after b -- then nothing is
 * written either; before b, versions may be missing. */
static int build_is_current(struct warehouse *warehouse, const struct model *model, const char *relation,
                            const struct model_build *build, const char *date, bool *current, struct error *err) {
    bool exists = false;
    *current = false;
    if (table_exists(warehouse, relation, &exists, err) != 0 || !exists) return exists ? -1 : 0;
    int order = strcmp(date, build->date);
    if (model->materialized == MATERIALIZE_INSERT_NEW_KEYS || order == 0) {
        *current = true;
        return 0;
    }
    if (order < 0) return 0;
    char sql[300], *newest = NULL;
    snprintf(sql, sizeof sql, "SELECT CAST(max(effective_from) AS TEXT) FROM %s", relation);
    if (warehouse_query_value(warehouse, sql, &newest, err) != 0) return -1;
    *current = newest == NULL || strcmp(newest, build->date) <= 0;
    free(newest);
    return 0;
}

/* Decides whether the model's build can be left out (*skip), saying so in
 * the outcome's warnings; otherwise leaves in inputs what to record once
 * it is built. */
static int check_rebuild_needed(const struct task_context *context, size_t task, const struct model *model,
                                const struct model_variant *variant, struct warehouse *warehouse, const char *relation,
                                char inputs[FINGERPRINT_SIZE], bool *skip, struct task_outcome *outcome,
                                struct error *err) {
    *skip = false;
    int64_t own_write = 0;
    struct model_build build;
    if (model_inputs(context, task, model, variant, warehouse, inputs, &own_write, err) != 0 ||
        run_state_last_build(warehouse, relation, &build, err) != 0)
        return error_prefix(err, "%s", model->path);
    if (!build.known || strcmp(build.inputs, inputs) != 0 || build.run_id != own_write) return 0;
    if (build_is_current(warehouse, model, relation, &build, context->request->end_date, skip, err) != 0)
        return error_prefix(err, "%s", model->path);
    if (*skip)
        strbuf_printf(&outcome->warnings,
                      "not rebuilt: its definition and every input are as when run %" PRId64
                      " built %s for %s, so a build would write nothing\n",
                      build.run_id, relation, build.date);
    return 0;
}

/* Renders and materializes one model, then runs its data tests. */
static int run_model(const struct task_context *context, const struct model *model, struct warehouse *warehouse,
                     struct task_outcome *outcome, struct error *err) {
    const struct run_request *request = context->request;
    const struct pipeline *pipeline = request->pipeline;
    char relation[160];
    /* A model's NAME.DIALECT.sql variant replaces its SQL on that warehouse. */
    const struct model_variant *variant = pipeline_model_variant(model, warehouse_dialect(warehouse));
    struct model located = *model;
    if (variant) located.path = variant->path;
    struct strbuf sql;
    strbuf_init(&sql);
    int status = render_model(context, model, variant, relation, sizeof relation, &sql, err);
    struct materialize_context materialize = {relation, request->start_date, request->end_date,
                                              context->keep_statements ? &outcome->statements : NULL};
    bool skippable = may_skip_rebuild(context, model, warehouse), skip = false;
    char inputs[FINGERPRINT_SIZE] = "";
    size_t task = pipeline->source_count + (size_t)(model - pipeline->models);
    if (status == 0 && skippable)
        status = check_rebuild_needed(context, task, model, variant, warehouse, relation, inputs, &skip, outcome, err);
    outcome->record.unchanged = skip;
    if (skip) outcome->record.rows_changed = 0;
    if (status == 0 && !skip) status = environment_seed_model(warehouse, pipeline, model, materialize.statement_log, err);
    if (status == 0 && !skip) {
        status = materialize_model(warehouse, model, strbuf_text(&sql), &materialize, &outcome->record.rows_changed, err);
        if (status != 0) name_model_location(&located, strbuf_text(&sql), err);
    }
    /* In the build's transaction: on record exactly when the table is. */
    if (status == 0 && skippable && !skip)
        status = run_state_record_build(warehouse, relation, inputs, request->end_date,
                                        strtoll(context->run_id_text, NULL, 10), err);
    if (status == 0 && !skip && model->materialized != MATERIALIZE_VIEW && model->materialized != MATERIALIZE_SCRIPT)
        status = warehouse_refresh_statistics(warehouse, relation, err);
    struct data_tests_target tests = {model->tests, model->test_count, model->tests_warn, relation, request->end_date};
    if (status == 0 && context->dry_run && data_tests_check(warehouse, pipeline, &tests, err) != 0)
        status = error_prefix(err, "%s", model->path);
    else if (status == 0 && !context->dry_run && data_tests_run(warehouse, pipeline, &tests, &outcome->warnings, err) != 0)
        status = error_prefix(err, "%s", model->path);
    strbuf_free(&sql);
    return status;
}

/* Renders a text that is not a model (a singular test) with the variables
 * a model has; {{ this }} is empty. */
int task_render(const struct task_context *context, const char *text, struct strbuf *out, struct error *err) {
    struct template_variable variables[64];
    size_t count = template_variables(context, "", variables, 64);
    return environment_render(context->request->pipeline, text, variables, count, out, err);
}

/* Appends to out the statements task `task` would run, rendered as a run
 * renders them: the same materialization code, with no warehouse to run
 * on (materialize.h), then the queries of its data tests. A source is
 * described in a comment: its load is not SQL. */
int task_compile(const struct task_context *context, size_t task, struct strbuf *out, struct error *err) {
    const struct pipeline *pipeline = context->request->pipeline;
    if (task < pipeline->source_count) {
        const struct source *source = &pipeline->sources[task];
        strbuf_printf(out, "-- %s: loads %s into %s.%s (load: %s), checking each row against its %zu declared columns\n\n",
                      source->name, source->file, pipeline_schema(pipeline, source->schema_key), source->table,
                      source->load == LOAD_REPLACE ? "replace" : source->load == LOAD_REPLACE_DATES ? "replace_dates" : "batch",
                      source->column_count);
        char relation[160];
        snprintf(relation, sizeof relation, "%s.%s", pipeline_schema(pipeline, source->schema_key), source->table);
        struct data_tests_target tests = {source->tests, source->test_count, false, relation, context->request->end_date};
        return data_tests_sql(pipeline, &tests, out, err);
    }
    const struct model *model = &pipeline->models[task - pipeline->source_count];
    char relation[160];
    struct strbuf sql;
    strbuf_init(&sql);
    /* Compiled without a warehouse: the model's own file, not a dialect's variant. */
    int status = render_model(context, model, NULL, relation, sizeof relation, &sql, err);
    struct materialize_context materialize = {relation, context->request->start_date, context->request->end_date, out};
    int64_t ignored;
    strbuf_printf(out, "-- %s (%s): %s\n", model->name, materialization_name(model->materialized), model->path);
    if (status == 0) status = environment_seed_model(NULL, pipeline, model, out, err);
    if (status == 0) status = materialize_model(NULL, model, strbuf_text(&sql), &materialize, &ignored, err);
    struct data_tests_target tests = {model->tests, model->test_count, model->tests_warn, relation,
                                      context->request->end_date};
    if (status == 0) status = data_tests_sql(pipeline, &tests, out, err);
    strbuf_free(&sql);
    return status;
}

/* Does task `task`'s work in the caller's transaction, once, without a
 * deadline or retries: a dry run checks every statement this way and
 * rolls them all back. A source only gets its tables (empty when they are
 * new): its load is no statement to check, and it could keep rejects. */
int task_run_within(const struct task_context *context, size_t task, struct warehouse *warehouse,
                    struct task_outcome *outcome) {
    const struct pipeline *pipeline = context->request->pipeline;
    struct error *err = &outcome->error;
    if (task >= pipeline->source_count)
        return run_model(context, &pipeline->models[task - pipeline->source_count], warehouse, outcome, err);
    const struct source *source = &pipeline->sources[task];
    char rejects[128];
    snprintf(rejects, sizeof rejects, "%s_rejects", source->table);
    struct load_target table = {pipeline_schema(pipeline, source->schema_key), source->table, source->columns,
                                source->column_count, rejects};
    char relation[160];
    snprintf(relation, sizeof relation, "%s.%s", table.schema, source->table);
    struct data_tests_target tests = {source->tests, source->test_count, false, relation, context->request->end_date};
    if (loader_prepare_tables(warehouse, &table, err) != 0) return -1;
    return data_tests_check(warehouse, pipeline, &tests, err);
}

/* One attempt, in its own transaction, under the task's deadline. */
static int attempt_once(const struct task_context *context, size_t task, struct warehouse *warehouse,
                        struct task_outcome *outcome) {
    const struct pipeline *pipeline = context->request->pipeline;
    const struct model *model = task < pipeline->source_count ? NULL : &pipeline->models[task - pipeline->source_count];
    double timeout = model && model->timeout_seconds > 0 ? model->timeout_seconds : context->request->timeout_seconds;
    struct error *err = &outcome->error;
    strbuf_reset(&outcome->statements);
    struct watchdog *watchdog = watchdog_start(warehouse, timeout);
    int status = warehouse_begin(warehouse, err);
    if (status == 0)
        status = model ? run_model(context, model, warehouse, outcome, err) : run_source(context, task, warehouse, outcome, err);
    if (watchdog_stop(watchdog) && status != 0)
        error_set(err, "timed out after %g s: the statement was cancelled and the task rolled back", timeout);
    if (status == 0) status = warehouse_commit(warehouse, err);
    else warehouse_rollback(warehouse);
    return status;
}

/* Carries out a task: 0 when it succeeded, -1 when it failed for good
 * (outcome->error says why, outcome->record.attempts how many tries). */
int task_execute(const struct task_context *context, size_t task, struct warehouse *warehouse,
                 struct task_outcome *outcome) {
    const struct pipeline *pipeline = context->request->pipeline;
    const struct model *model = task < pipeline->source_count ? NULL : &pipeline->models[task - pipeline->source_count];
    int retries = model && model->retries >= 0 ? model->retries : context->request->retries;
    for (int attempt = 1;; attempt++) {
        outcome->record.attempts = attempt;
        if (attempt_once(context, task, warehouse, outcome) == 0) return 0;
        struct error reconnect_error;
        int lost = warehouse_reconnect(warehouse, &reconnect_error);
        if (lost < 0)
            return error_prefix(&outcome->error, "the warehouse connection was lost and could not be re-established (%s)",
                                reconnect_error.message);
        bool transient = lost == 1 || outcome->error.transient;
        if (!transient || attempt > retries) {
            if (transient) error_prefix(&outcome->error, "gave up after %d attempts", attempt);
            if (message_says_disk_full(outcome->error.message)) error_prefix(&outcome->error, "the disk is full");
            return -1;
        }
        long delay = backoff_ms(attempt, task);
        strbuf_printf(&outcome->warnings, "attempt %d failed (%s), tried again after %.1f s: %s\n", attempt,
                      lost == 1 ? "connection lost" : "transient", (double)delay / 1000, outcome->error.message);
        clock_sleep_ms(delay);
    }
}

/* An outcome before the task ran: no counts (-1), no attempts, empty texts. */
void task_outcome_init(struct task_outcome *outcome) {
    memset(outcome, 0, sizeof *outcome);
    outcome->record = (struct task_record){.rows_read = -1, .rows_loaded = -1, .rows_rejected = -1,
                                           .rows_changed = -1, .rows_duplicate = -1};
    strbuf_init(&outcome->statements);
    strbuf_init(&outcome->warnings);
}

/* Frees the texts an outcome owns. */
void task_outcome_free(struct task_outcome *outcome) {
    strbuf_free(&outcome->statements);
    strbuf_free(&outcome->warnings);
}
