/* runner.c -- see runner.h.
 *
 * Threads: worker threads take queued tasks and carry them out on their
 * own connections; the calling thread (the coordinator) queues the tasks
 * whose dependencies are done, and records, prints and logs every start
 * and end. All task states are guarded by one mutex; a task's outcome is
 * written only by the worker running it, and read by the coordinator only
 * once the state says the task has ended. */
#include "runner.h"
#include "alerts.h"
#include "environment.h"
#include "../util/clock.h"
#include "../util/files.h"
#include "../util/memory.h"
#include "../util/message.h"
#include "../util/strbuf.h"
#include "dag.h"
#include "fingerprint.h"
#include "progress.h"
#include "run_state.h"
#include "select.h"
#include "task.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum task_state { TASK_WAITING, TASK_QUEUED, TASK_RUNNING, TASK_SUCCESS, TASK_FAILED, TASK_UPSTREAM_FAILED, TASK_SKIPPED };

static const char *const state_names[] = {"queued", "queued", "running", "success", "failed", "upstream_failed", "skipped"};

#define NO_TASK SIZE_MAX

struct task {
    enum task_state state;
    size_t *upstream;              /* indices of the tasks it depends on */
    bool start_recorded, end_recorded;
    bool end_handled;              /* the coordinator has tried to record its end */
    bool end_written;              /* its end reached martlet.task_runs */
    char started_at[CLOCK_TEXT_SIZE], finished_at[CLOCK_TEXT_SIZE];
    double clock_start, seconds;
    struct task_outcome outcome;
};

struct worker {
    pthread_t thread;
    struct run *run;
    struct warehouse *warehouse;   /* this worker's own connection */
    size_t task;                   /* the task it is running, or NO_TASK */
};

struct run {
    struct warehouse *warehouse;   /* the coordinator's: run state */
    const struct run_request *request;
    struct run_outcome *outcome;
    struct task_context context;
    struct progress progress;
    char started_at[CLOCK_TEXT_SIZE];
    char run_id_text[32];
    struct dag_node *nodes;        /* the selected tasks: sources first, then models */
    size_t *task_of;               /* per node: its task number in the pipeline (select.h) */
    char ***node_depends;          /* per node: its dependencies within the selection (names not owned) */
    size_t *order;                 /* dependency order: the order tasks are queued in */
    size_t count;
    struct task *tasks;
    struct worker *workers;
    size_t worker_count;
    size_t tasks_recorded;
    char *log_directory;           /* this run's folder of rendered SQL, or NULL */
    struct source_files *files;    /* per source, resolved before any task runs */
    pthread_mutex_t lock;
    pthread_cond_t changed;        /* any task changed state, or the run ended */
    bool stopping, cancelling, finished;
    bool stop_requested;           /* stopping because of SIGTERM/SIGINT, not a failure */
    bool state_lost;               /* a run state write failed: no task starts any more */
    struct error state_error;      /* the first such failure */
};

/* Whether a task has ended (success, failed, upstream_failed, skipped). */
static bool is_final(enum task_state state) {
    return state >= TASK_SUCCESS;
}

/* ---- workers ---------------------------------------------------------- */

/* The first queued task in dependency order, or NO_TASK. Under the lock. */
static size_t next_queued(const struct run *run) {
    if (run->stopping) return NO_TASK;
    for (size_t i = 0; i < run->count; i++)
        if (run->tasks[run->order[i]].state == TASK_QUEUED) return run->order[i];
    return NO_TASK;
}

/* A worker: takes queued tasks until the run is over. */
static void *worker_main(void *argument) {
    struct worker *worker = argument;
    struct run *run = worker->run;
    pthread_mutex_lock(&run->lock);
    for (;;) {
        size_t index = next_queued(run);
        if (index == NO_TASK) {
            if (run->finished) break;
            pthread_cond_wait(&run->changed, &run->lock);
            continue;
        }
        struct task *task = &run->tasks[index];
        task->state = TASK_RUNNING;
        clock_utc_text(task->started_at);
        task->clock_start = clock_seconds();
        worker->task = index;
        pthread_cond_broadcast(&run->changed);
        pthread_mutex_unlock(&run->lock);
        int status = task_execute(&run->context, run->task_of[index], worker->warehouse, &task->outcome);
        pthread_mutex_lock(&run->lock);
        worker->task = NO_TASK;
        task->seconds = clock_seconds() - task->clock_start;
        clock_utc_text(task->finished_at);
        task->state = status == 0 ? TASK_SUCCESS : TASK_FAILED;
        pthread_cond_broadcast(&run->changed);
    }
    pthread_mutex_unlock(&run->lock);
    return NULL;
}

/* Opens one connection per worker (here, in one thread: drivers may share
 * state between connections) and starts the threads. */
static int start_workers(struct run *run, struct error *err) {
    size_t jobs = run->request->jobs ? run->request->jobs : (size_t)sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1) jobs = 1;
    run->worker_count = jobs < run->count ? jobs : run->count;
    run->workers = memory_calloc(run->worker_count, sizeof *run->workers);
    for (size_t i = 0; i < run->worker_count; i++) {
        struct worker *worker = &run->workers[i];
        *worker = (struct worker){.run = run, .task = NO_TASK};
        if (warehouse_open_another(run->warehouse, &worker->warehouse, err) != 0)
            return error_prefix(err, "opening a connection for parallel tasks");
    }
    for (size_t i = 0; i < run->worker_count; i++)
        if (pthread_create(&run->workers[i].thread, NULL, worker_main, &run->workers[i]) != 0)
            return error_set(err, "cannot start a worker thread");
    return 0;
}

/* Waits for the workers and closes their connections. */
static void stop_workers(struct run *run) {
    pthread_mutex_lock(&run->lock);
    run->finished = true;
    run->stopping = true;
    pthread_cond_broadcast(&run->changed);
    pthread_mutex_unlock(&run->lock);
    for (size_t i = 0; i < run->worker_count; i++) {
        if (run->workers[i].thread) pthread_join(run->workers[i].thread, NULL);
        warehouse_close(run->workers[i].warehouse);
    }
}

/* On a terminal, the live line names the tasks running now. Under the lock. */
static void describe_running(const struct run *run, char *line, size_t size) {
    size_t used = (size_t)snprintf(line, size, "  %-15s", "running");
    size_t shown = 0;
    for (size_t i = 0; i < run->count && used < size; i++)
        if (run->tasks[i].state == TASK_RUNNING)
            used += (size_t)snprintf(line + used, size - used, "%s%s", shown++ ? ", " : " ", run->nodes[i].name);
    if (shown == 0) line[0] = '\0';
}

/* ---- the coordinator ------------------------------------------------- */

/* One write of run state; `what` is the task record or index it needs. */
typedef int (*state_writer)(struct run *run, const void *what, struct error *err);

/* A state_writer: how a task ended (record is its struct task_record). */
static int record_task_state(struct run *run, const void *record, struct error *err) {
    return run_state_record_task(run->warehouse, run->outcome->run_id, record, err);
}

/* A state_writer: a task started (index points at its index). */
static int record_start_state(struct run *run, const void *index, struct error *err) {
    size_t task = *(const size_t *)index;
    return run_state_start_task(run->warehouse, run->outcome->run_id, run->nodes[task].name, run->tasks[task].started_at,
                                err);
}

/* Writes run state, and once more after a failure for a full disk when
 * the warehouse had room set aside for it (reserve_room): a task that
 * filled the disk has rolled back, but its freed room is no help to a
 * DuckDB file (the rolled-back blocks stay in the database file while the
 * record needs new pages of its write-ahead log, and a CHECKPOINT first
 * needs a new block of its own). A failure that names a full disk says so. */
static int write_state(struct run *run, state_writer writer, const void *what, struct error *err) {
    if (writer(run, what, err) == 0) return 0;
    if (message_says_disk_full(err->message)) {
        if (warehouse_release_room(run->warehouse, true) && writer(run, what, err) == 0) return 0;
        error_prefix(err, "the disk is full");
    }
    return -1;
}

/* Sets aside room for the records the run writes after a task may have
 * filled the disk (write_state). Without it (the disk is nearly full
 * already) the run goes on, with a warning. */
static void reserve_room(struct run *run) {
    struct error err;
    if (warehouse_reserve_room(run->warehouse, &err) == 0) return;
    char line[ERROR_MESSAGE_SIZE + 80];
    snprintf(line, sizeof line, "warning: no room set aside for the run's records if the disk fills: %s", err.message);
    progress_note(&run->progress, line);
}

/* Keeps the statements a task ran in <log>/<NNN>-<task>.sql, followed by
 * the full text of its error (comment lines), if it failed. */
static int write_task_log(struct run *run, const struct task_record *record, const struct strbuf *statements,
                          struct error *err) {
    if (run->log_directory == NULL) return 0;
    char file[160];
    snprintf(file, sizeof file, "%03zu-%s.sql", run->tasks_recorded, record->task);
    char *path = files_join(run->log_directory, file);
    struct strbuf text;
    strbuf_init(&text);
    strbuf_append_string(&text, strbuf_text(statements));
    if (record->error) {
        strbuf_append_string(&text, "-- failed:\n");
        for (const char *line = record->error; *line;) {
            size_t length = strcspn(line, "\n");
            strbuf_printf(&text, "-- %.*s\n", (int)length, line);
            line += length + (line[length] == '\n');
        }
    }
    int status = files_write_all(path, strbuf_text(&text), text.length, err);
    strbuf_free(&text);
    free(path);
    return status;
}

/* Records, prints and logs a task that has ended. Unlocked. */
static int record_end(struct run *run, size_t index, const char *running, struct error *err) {
    struct task *task = &run->tasks[index];
    struct task_record *record = &task->outcome.record;
    record->status = state_names[task->state];
    record->started_at = task->started_at[0] ? task->started_at : NULL;
    if (task->state == TASK_UPSTREAM_FAILED || task->state == TASK_SKIPPED) clock_utc_text(task->finished_at);
    record->finished_at = task->finished_at;
    if (task->state == TASK_FAILED && run->cancelling) error_prefix(&task->outcome.error, "cancelled on request");
    record->error = task->state == TASK_FAILED ? task->outcome.error.message : NULL;
    progress_task_ended(&run->progress, record, task->seconds, strbuf_text(&task->outcome.warnings), running);
    run->tasks_recorded++;
    if (task->state == TASK_FAILED && run->outcome->failed++ == 0) {
        char line[ERROR_MESSAGE_SIZE]; /* the summary is one line; task_runs keeps the full text */
        message_one_line(record->error, line, sizeof line);
        snprintf(run->outcome->first_error, sizeof run->outcome->first_error, "%s: %s", record->task, line);
    }
    run->outcome->succeeded += task->state == TASK_SUCCESS;
    run->outcome->upstream_failed += task->state == TASK_UPSTREAM_FAILED;
    run->outcome->skipped += task->state == TASK_SKIPPED;
    int logged = write_task_log(run, record, &task->outcome.statements, err);
    struct error state_err;
    int written = write_state(run, record_task_state, record, &state_err);
    task->end_written = written == 0;
    if (written != 0) *err = state_err; /* the warehouse's failure matters more than the log's */
    return logged == 0 && written == 0 ? 0 : -1;
}

/* Records that a task started. Unlocked. */
static int record_start(struct run *run, size_t index, const char *running, struct error *err) {
    progress_task_started(&run->progress, run->nodes[index].name, running);
    return write_state(run, record_start_state, &index, err);
}

/* Queues the waiting tasks whose dependencies have all ended and had
 * their ends recorded (a task never starts before its upstream's success
 * is on record): those with a dependency that did not succeed end
 * upstream_failed instead. */
static void queue_ready_tasks(struct run *run) {
    bool queued = false;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < run->count; i++) {
            if (run->tasks[i].state != TASK_WAITING) continue;
            bool ready = true, upstream_ok = true;
            for (size_t d = 0; d < run->nodes[i].depends_count; d++) {
                const struct task *upstream = &run->tasks[run->tasks[i].upstream[d]];
                enum task_state state = upstream->state;
                ready = ready && is_final(state) && (upstream->end_handled || state == TASK_UPSTREAM_FAILED);
                upstream_ok = upstream_ok && state == TASK_SUCCESS;
            }
            if (!ready) continue;
            run->tasks[i].state = upstream_ok ? TASK_QUEUED : TASK_UPSTREAM_FAILED;
            changed = true;
            queued = queued || upstream_ok;
        }
    }
    if (queued) pthread_cond_broadcast(&run->changed); /* wakes the idle workers only when there is work */
}

/* No task starts any more: those not started yet are skipped. Under the lock. */
static void stop_starting(struct run *run) {
    run->stopping = true;
    for (size_t i = 0; i < run->count; i++)
        if (run->tasks[i].state == TASK_WAITING || run->tasks[i].state == TASK_QUEUED) run->tasks[i].state = TASK_SKIPPED;
}

/* Acts on stop requests: the first stops queueing (what has not started
 * is skipped), the second cancels the running statements too. */
static void handle_stop_requests(struct run *run) {
    sig_atomic_t requests = run->request->stop ? *run->request->stop : 0;
    if (requests >= 1 && !run->stop_requested) {
        run->stop_requested = true;
        stop_starting(run);
        progress_note(&run->progress, "stop requested: running tasks finish, the rest are skipped (again to cancel them)");
    }
    if (requests >= 2 && !run->cancelling) {
        run->cancelling = true;
        progress_note(&run->progress, "cancelling the running tasks: they roll back");
        for (size_t i = 0; i < run->worker_count; i++)
            if (run->workers[i].task != NO_TASK) warehouse_interrupt(run->workers[i].warehouse);
    }
}

/* The next start or end the coordinator has not recorded yet, in
 * dependency order, a task's start always before its end; false when
 * there is none. Under the lock. */
static bool next_unrecorded(struct run *run, size_t *index, bool *is_start) {
    for (size_t i = 0; i < run->count; i++) {
        struct task *task = &run->tasks[run->order[i]];
        *index = run->order[i];
        if (task->started_at[0] && !task->start_recorded) {
            task->start_recorded = *is_start = true;
            return true;
        }
        if (is_final(task->state) && !task->end_recorded) {
            task->end_recorded = true;
            *is_start = false;
            return true;
        }
    }
    return false;
}

/* Waits for a worker's news, at most 100 ms. Under the lock. */
static void wait_for_change(struct run *run) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 100 * 1000000L; /* stop requests are looked at this often */
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&run->changed, &run->lock, &deadline);
}

/* Drives the run until every task has ended and its end was handled. A
 * failed write of run state (a full disk) does not abandon the tasks that
 * are running: no task starts any more, the running ones end and are
 * recorded as far as the warehouse still takes it (see finish_state). */
static void coordinate(struct run *run) {
    pthread_mutex_lock(&run->lock);
    while (run->tasks_recorded < run->count) {
        handle_stop_requests(run);
        queue_ready_tasks(run);
        size_t index;
        bool is_start;
        if (!next_unrecorded(run, &index, &is_start)) {
            wait_for_change(run);
            continue;
        }
        char running[512];
        describe_running(run, running, sizeof running);
        pthread_mutex_unlock(&run->lock);
        struct error err;
        int status = is_start ? record_start(run, index, running, &err) : record_end(run, index, running, &err);
        pthread_mutex_lock(&run->lock);
        if (!is_start) run->tasks[index].end_handled = true;
        if (status != 0 && !run->state_lost) {
            run->state_lost = true;
            run->state_error = err;
            stop_starting(run);
            pthread_mutex_unlock(&run->lock);
            progress_note(&run->progress, "the run's state could not be written: no task starts any more");
            pthread_mutex_lock(&run->lock);
        }
    }
    pthread_mutex_unlock(&run->lock);
}

/* After a failed state write, once every task has ended: the task ends
 * not written yet are tried again (the failed tasks' rollbacks may have
 * freed room), so the record matches what happened wherever the warehouse
 * still takes writes. 0, or -1 when some end could not be written. */
static int finish_state(struct run *run, struct error *err) {
    int status = 0;
    for (size_t i = 0; i < run->count; i++) {
        struct task *task = &run->tasks[i];
        if (task->end_written) continue;
        struct task_record *record = &task->outcome.record;
        if (write_state(run, record_task_state, record, err) == 0) task->end_written = true;
        else status = -1;
    }
    return status;
}

/* ---- setting up ------------------------------------------------------ */

/* True when the request runs the pipeline's task number `task`. */
static bool is_selected(const struct run_request *request, size_t task) {
    return request->selected == NULL || request->selected[task];
}

/* Builds the task graph of the selected tasks (sources, then models) and
 * its order. A dependency outside the selection is left out: the task
 * reads that table as the warehouse has it. */
static int plan_tasks(struct run *run, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    size_t total = select_task_count(pipeline);
    run->count = 0;
    for (size_t task = 0; task < total; task++) {
        if (!is_selected(run->request, task)) continue;
        size_t node = run->count++;
        run->task_of[node] = task;
        const struct model *model = task < pipeline->source_count ? NULL : &pipeline->models[task - pipeline->source_count];
        size_t kept = 0;
        run->node_depends[node] = memory_calloc(model && model->depends_count ? model->depends_count : 1, sizeof(char *));
        for (size_t d = 0; model && d < model->depends_count; d++) {
            long upstream = -1;
            for (size_t other = 0; other < total && upstream < 0; other++)
                if (strcmp(select_task_name(pipeline, other), model->depends_on[d]) == 0) upstream = (long)other;
            if (upstream < 0 || is_selected(run->request, (size_t)upstream)) /* unknown: dag_order names it */
                run->node_depends[node][kept++] = model->depends_on[d];
        }
        run->nodes[node] = (struct dag_node){select_task_name(pipeline, task), run->node_depends[node], kept};
        task_outcome_init(&run->tasks[node].outcome);
        run->tasks[node].outcome.record.task = run->nodes[node].name;
        run->tasks[node].outcome.record.kind = model ? materialization_name(model->materialized) : "source";
    }
    if (run->count == 0 && run->request->selected) return error_set(err, "the selection leaves no task to run");
    if (dag_order(run->nodes, run->count, run->order, err) != 0) return -1;
    /* Names resolved once here (dag_order has checked them), not at every look. */
    for (size_t i = 0; i < run->count; i++) {
        run->tasks[i].upstream = memory_calloc(run->nodes[i].depends_count, sizeof *run->tasks[i].upstream);
        for (size_t d = 0; d < run->nodes[i].depends_count; d++)
            run->tasks[i].upstream[d] = (size_t)dag_index(run->nodes, run->count, run->nodes[i].depends_on[d]);
    }
    return 0;
}

/* Runs macros/<dialect>.sql, the pipeline's functions for this warehouse
 * (e.g. hash_key), in one transaction. A pipeline may have none. */
static int install_macros(struct run *run, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    char name[64];
    snprintf(name, sizeof name, "macros/%s.sql", warehouse_dialect(run->warehouse));
    char *path = files_join(pipeline->directory, name);
    char *sql = NULL;
    int status = 0;
    if (files_exists(path)) {
        status = files_read_all(path, &sql, err);
        if (status == 0) status = warehouse_begin(run->warehouse, err);
        if (status == 0) status = warehouse_execute(run->warehouse, sql, err);
        if (status == 0) status = warehouse_commit(run->warehouse, err);
        else warehouse_rollback(run->warehouse);
        if (status != 0) error_prefix(err, "%s", path);
    }
    free(sql);
    free(path);
    return status;
}

/* Finds every source file of the run up front: a missing one stops the
 * run before anything is written. */
static int resolve_files(struct run *run, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    struct source_dates dates = {run->request->start_date, run->request->end_date, run->request->history};
    run->files = memory_calloc(pipeline->source_count, sizeof *run->files);
    for (size_t i = 0; i < pipeline->source_count; i++)
        if (is_selected(run->request, i) && source_task_files(pipeline, &pipeline->sources[i], run->request->source_directory, &dates, &run->files[i],
                              err) != 0)
            return -1;
    return 0;
}

/* Opens the transaction that groups several writes of run state into one
 * commit: on a DuckDB file (and PostgreSQL) each commit syncs the log, and
 * a fresh run made 22 syncs before its first task. ClickHouse has no
 * transactions (its BEGIN would make a CREATE a rebuild): nothing there. */
static int begin_state_writes(struct run *run, struct error *err) {
    if (strcmp(warehouse_dialect(run->warehouse), "clickhouse") == 0) return 0;
    return warehouse_begin(run->warehouse, err);
}

/* Commits the writes begin_state_writes grouped, or rolls them back when
 * one failed (status != 0). Returns the final status. */
static int end_state_writes(struct run *run, int status, struct error *err) {
    if (strcmp(warehouse_dialect(run->warehouse), "clickhouse") == 0) return status;
    if (status == 0) return warehouse_commit(run->warehouse, err);
    warehouse_rollback(run->warehouse);
    return status;
}

/* The martlet schema, the pipeline's schemas and its macros; the schemas
 * in one transaction (begin_state_writes). */
static int prepare_schemas(struct run *run, struct error *err) {
    const struct pipeline *pipeline = run->request->pipeline;
    int status = begin_state_writes(run, err);
    if (status != 0) return -1;
    status = run_state_prepare(run->warehouse, err);
    for (size_t i = 0; i < pipeline->schema_count && status == 0; i++)
        status = warehouse_create_schema(run->warehouse, pipeline->schemas[i].name, err);
    if (end_state_writes(run, status, err) != 0) return -1;
    if (environment_resolve(pipeline, run->warehouse, run->request->selected, true, err) != 0) return -1;
    return install_macros(run, err);
}

/* Takes a run id, records the run and its tasks (in one transaction,
 * begin_state_writes), makes the log folder. */
static int begin_run(struct run *run, struct error *err) {
    const struct run_request *request = run->request;
    if (begin_state_writes(run, err) != 0) return -1;
    int status = run_state_begin_run(run->warehouse, environment_state_name(request->pipeline), request->start_date,
                                     request->end_date, run->started_at, &run->outcome->run_id, err);
    snprintf(run->run_id_text, sizeof run->run_id_text, "%" PRId64, run->outcome->run_id);
    struct task_record *records = memory_calloc(run->count, sizeof *records);
    for (size_t i = 0; i < run->count; i++) records[i] = run->tasks[i].outcome.record;
    if (status == 0) status = run_state_queue_tasks(run->warehouse, run->outcome->run_id, records, run->count, err);
    free(records);
    if (status == 0 && request->carry_from_run > 0) { /* a clear: the tasks not rerun keep their states */
        size_t unsuccessful = 0;
        char first[ERROR_MESSAGE_SIZE];
        status = run_state_carry_tasks(run->warehouse, run->outcome->run_id, request->carry_from_run, &unsuccessful,
                                       first, err);
        run->outcome->failed += unsuccessful; /* the dates are not done while a kept task is not */
        if (unsuccessful)
            snprintf(run->outcome->first_error, sizeof run->outcome->first_error, "%s", first);
    }
    if (end_state_writes(run, status, err) != 0) {
        if (strcmp(warehouse_dialect(run->warehouse), "clickhouse") != 0)
            run->outcome->run_id = 0; /* rolled back: no run to record the end of */
        return -1;
    }
    if (request->log_directory) {
        char name[48];
        snprintf(name, sizeof name, "run-%" PRId64, run->outcome->run_id);
        run->log_directory = files_join(request->log_directory, name);
        return files_make_directories(run->log_directory, err);
    }
    return 0;
}

/* Records what built each task's table (fingerprint.h), for plan to
 * compare with later edits. Best effort: without it plan calls the run's
 * dates unknown, which is no reason to fail a run whose tables are
 * written. */
static void record_fingerprints(struct run *run) {
    struct error err;
    if (fingerprint_record_run(run->warehouse, run->request->pipeline, run->outcome->run_id, run->task_of, run->count,
                               &err) != 0) {
        char line[ERROR_MESSAGE_SIZE + 16];
        snprintf(line, sizeof line, "warning: %s", err.message);
        progress_note(&run->progress, line);
    }
}

/* What martlet.runs records for the finished run. */
static const char *final_status(const struct run_outcome *outcome) {
    return outcome->stopped ? "stopped" : outcome->failed || outcome->record_failed ? "failed" : "success";
}

/* A state_writer: how the run ended (outcome_pointer is its run_outcome). */
static int write_run_end(struct run *run, const void *outcome_pointer, struct error *err) {
    const struct run_outcome *outcome = outcome_pointer;
    const char *error = outcome->failed || outcome->record_failed ? outcome->first_error
                        : outcome->stopped                        ? "stopped on request"
                                                                  : NULL;
    return run_state_finish_run(run->warehouse, outcome->run_id, final_status(outcome), error, err);
}

/* Records how the run ended (tried again if the warehouse had no room). */
static int finish_run_state(struct run *run, const struct run_outcome *outcome, struct error *err) {
    return write_state(run, write_run_end, outcome, err);
}

/* Frees what the run allocated (not the request or the warehouse). */
static void free_run(struct run *run) {
    const struct pipeline *pipeline = run->request->pipeline;
    for (size_t i = 0; run->tasks && i < run->count; i++) {
        task_outcome_free(&run->tasks[i].outcome);
        free(run->tasks[i].upstream);
    }
    for (size_t i = 0; i < select_task_count(pipeline); i++) free(run->node_depends[i]);
    free(run->node_depends);
    free(run->task_of);
    for (size_t i = 0; run->files && i < pipeline->source_count; i++) source_files_free(&run->files[i]);
    free(run->files);
    free(run->tasks);
    free(run->order);
    free(run->nodes);
    free(run->workers);
    free(run->log_directory);
    pthread_mutex_destroy(&run->lock);
    pthread_cond_destroy(&run->changed);
}

/* Runs the pipeline for the request's dates. Returns 0 when the run could
 * be carried out and recorded -- check outcome->failed for task failures,
 * and outcome->record_failed for a run cut short by a state write that
 * failed and was written after all -- and -1 when it could not start or
 * its state could not be written. */
int runner_run(struct warehouse *warehouse, const struct run_request *request, struct run_outcome *outcome,
               struct error *err) {
    memset(outcome, 0, sizeof *outcome);
    const struct pipeline *pipeline = request->pipeline;
    struct run run = {.warehouse = warehouse, .request = request, .outcome = outcome};
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.changed, NULL);
    size_t total = select_task_count(pipeline) ? select_task_count(pipeline) : 1;
    run.nodes = memory_calloc(total, sizeof *run.nodes);
    run.order = memory_calloc(total, sizeof *run.order);
    run.tasks = memory_calloc(total, sizeof *run.tasks);
    run.task_of = memory_calloc(total, sizeof *run.task_of);
    run.node_depends = memory_calloc(total, sizeof *run.node_depends);
    clock_utc_text(run.started_at);
    progress_init(&run.progress, request->progress, request->json_progress);
    run.context = (struct task_context){request, NULL, run.started_at, run.run_id_text, request->log_directory != NULL, false};
    int status = plan_tasks(&run, err);
    if (status == 0) status = resolve_files(&run, err);
    run.context.files = run.files;
    if (status == 0) status = prepare_schemas(&run, err);
    if (status == 0) status = begin_run(&run, err);
    if (status == 0) status = start_workers(&run, err);
    run.progress.run_id = outcome->run_id;
    if (status == 0)
        progress_run_started(&run.progress, environment_state_name(pipeline), request->start_date, request->end_date, run.count,
                             run.worker_count, run.log_directory);
    bool coordinated = status == 0;
    if (coordinated) reserve_room(&run);
    if (coordinated) coordinate(&run);
    stop_workers(&run);
    if (coordinated && !run.state_lost) record_fingerprints(&run);
    /* A stop that came after the last task started changed nothing. */
    outcome->stopped = run.stop_requested && (outcome->skipped > 0 || run.cancelling);
    if (run.state_lost) { /* a failed run, whatever its tasks did: its record may be incomplete */
        outcome->record_failed = true;
        if (outcome->failed == 0)
            snprintf(outcome->first_error, sizeof outcome->first_error, "%s", run.state_error.message);
        outcome->stopped = false;
    }
    if (coordinated)
        progress_run_finished(&run.progress, final_status(outcome), outcome->succeeded, outcome->failed,
                              outcome->upstream_failed, outcome->skipped);
    if (coordinated && run.state_lost) {
        struct error lost = run.state_error;
        if (finish_state(&run, err) != 0) status = -1;
        if (finish_run_state(&run, outcome, err) != 0 || status != 0) {
            *err = lost; /* the first failure, which names the cause */
            status = -1;
        }
    } else if (coordinated) {
        status = finish_run_state(&run, outcome, err);
    } else if (outcome->run_id) {
        struct error ignored; /* best effort: the run is 'failed' rather than left 'running' */
        run_state_finish_run(warehouse, outcome->run_id, "failed", err->message, &ignored);
    } else {
        runner_record_failure(warehouse, request, outcome, err); /* a missing file, a broken macro: on record too */
    }
    if (coordinated) warehouse_release_room(warehouse, false);
    if (outcome->run_id) alerts_after_run(warehouse, request, outcome, status != 0 ? err->message : NULL);
    free_run(&run);
    return status;
}

/* Records a run that failed before its first task (a missing increment, a
 * fetch that failed, a macro that does not compile) as a failed run of its
 * dates, with err's message as its reason, so that plan and status show the
 * dates failed rather than missing. Best effort: when the warehouse cannot
 * take it, err still says what went wrong. err gains "run N failed before
 * its first task" in front when it was recorded. */
void runner_record_failure(struct warehouse *warehouse, const struct run_request *request, struct run_outcome *outcome,
                           struct error *err) {
    char started_at[CLOCK_TEXT_SIZE];
    clock_utc_text(started_at);
    struct error ignored;
    int64_t run_id = 0;
    if (run_state_prepare(warehouse, &ignored) != 0 ||
        run_state_begin_run(warehouse, environment_state_name(request->pipeline), request->start_date, request->end_date,
                            started_at, &run_id, &ignored) != 0 ||
        run_state_finish_run(warehouse, run_id, "failed", err->message, &ignored) != 0)
        return;
    outcome->run_id = run_id;
    error_prefix(err, "run %" PRId64 " failed before its first task", run_id);
}
