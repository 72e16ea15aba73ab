/* clickhouse_driver.c -- the ClickHouse warehouse, over its HTTP interface
 * through libcurl.
 *
 * Every statement is one POST carrying a query_id, so that a timeout or a
 * second Ctrl-C can cancel it on the server with KILL QUERY. Results come
 * back as TabSeparatedWithNames. Bulk loads send the loader's batches as
 * TabSeparated INSERTs, buffered into large parts (each INSERT makes a
 * part; many small ones would hit TOO_MANY_PARTS). ClickHouse has no
 * transactions: BEGIN/COMMIT/ROLLBACK are no-ops and idempotency comes
 * from how tables are replaced (see README, "ClickHouse").
 *
 * With ?cluster=NAME the driver finds every shard in system.clusters and
 * sends DDL that each server needs (CREATE DATABASE) to all of them. The
 * user and password come from CLICKHOUSE_USER / CLICKHOUSE_PASSWORD (the
 * environment or the config file) and never reach a message. */
#include "clickhouse_driver.h"
#include "clickhouse_macros.h"
#include "clickhouse_sql.h"
#include "warehouse.h"
#include "../loader/value.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define CLICKHOUSE_INSERT_BUFFER (32u << 20)   /* bytes of TabSeparated rows per INSERT */
#define CLICKHOUSE_MUTATION_WAIT_SECONDS 600

struct clickhouse_warehouse {
    struct warehouse base;
    struct clickhouse_location location;
    char *url;                       /* for open_another; holds no secret */
    CURL *curl;
    pthread_mutex_t running_lock;    /* guards running_query_id against interrupt's thread */
    char running_query_id[64];
    bool connection_failed;          /* the last failure was the network's, not the statement's */
    int lock_fd;                     /* try_lock's file, -1 if none */
};

struct warehouse_appender {
    const struct warehouse_driver *driver;   /* these three first: warehouse_appender_header */
    struct warehouse *owner;
    char relation[160];
    char *insert;                            /* INSERT INTO relation (columns) FORMAT TabSeparated */
    struct strbuf rows;
    bool failed;
};

static atomic_uint_fast64_t query_counter;

/* A query id unique across processes and machines' runs: process id,
 * time and a counter. */
static void new_query_id(char *id, size_t size) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(id, size, "martlet-%ld-%lld-%" PRIuFAST64, (long)getpid(), (long long)now.tv_sec,
             atomic_fetch_add(&query_counter, 1));
}

/* libcurl's body sink. */
static size_t collect(char *data, size_t size, size_t count, void *buffer) {
    strbuf_append(buffer, data, size * count);
    return size * count;
}

/* The answer's "Code: N, e.displayText() = DB::Exception: MESSAGE, e.what()
 * = ..." as "MESSAGE (code N)" on one line, and the code. */
static int describe_failure(const struct strbuf *body, char *text, size_t size) {
    const char *answer = strbuf_text(body);
    int code = 0;
    if (strncmp(answer, "Code: ", 6) == 0) code = atoi(answer + 6);
    const char *message = strstr(answer, "DB::Exception: ");
    message = message ? message + 15 : answer;
    const char *end = strstr(message, ", e.what()");
    size_t length = end ? (size_t)(end - message) : strlen(message);
    if (length >= size) length = size - 1;
    for (size_t i = 0; i < length; i++) text[i] = message[i] == '\n' || message[i] == '\r' ? ' ' : message[i];
    while (length > 0 && text[length - 1] == ' ') length--;
    text[length] = '\0';
    return code;
}

/* POSTs body to server with the statement either in the body (insert_query
 * NULL) or in the URL (an INSERT whose data is the body); the answer goes
 * to response. Failures name the server; network failures, a shard that
 * cannot be reached and an overloaded server are transient. */
static int clickhouse_post(struct clickhouse_warehouse *warehouse, const struct clickhouse_server *server,
                           const char *insert_query, const char *body, size_t body_length, bool tabular,
                           struct strbuf *response, struct error *err) {
    CURL *curl = warehouse->curl;
    char query_id[64];
    new_query_id(query_id, sizeof query_id);
    struct strbuf url;
    strbuf_init(&url);
    strbuf_printf(&url, "http://%s:%d/?database=%s&query_id=%s&join_use_nulls=1&join_default_strictness=ALL",
                  server->host, server->port, warehouse->location.database, query_id);
    if (tabular) strbuf_append_string(&url, "&default_format=TabSeparatedWithNames");
    /* On a cluster: an INSERT into a Distributed table returns once every
     * shard has its rows (a shard down fails it), and a subquery over a
     * Distributed table inside a distributed query reads it once (GLOBAL). */
    if (warehouse->location.cluster[0])
        strbuf_append_string(&url, "&insert_distributed_sync=1&distributed_product_mode=global");
    if (insert_query) {
        char *escaped = curl_easy_escape(curl, insert_query, 0);
        strbuf_printf(&url, "&query=%s", escaped);
        curl_free(escaped);
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, strbuf_text(&url));
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    const char *user = getenv("CLICKHOUSE_USER"), *password = getenv("CLICKHOUSE_PASSWORD");
    if (user && *user) curl_easy_setopt(curl, CURLOPT_USERNAME, user);
    if (password && *password) curl_easy_setopt(curl, CURLOPT_PASSWORD, password);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    pthread_mutex_lock(&warehouse->running_lock);
    snprintf(warehouse->running_query_id, sizeof warehouse->running_query_id, "%s", query_id);
    pthread_mutex_unlock(&warehouse->running_lock);
    strbuf_reset(response);
    CURLcode code = curl_easy_perform(curl);
    pthread_mutex_lock(&warehouse->running_lock);
    warehouse->running_query_id[0] = '\0';
    pthread_mutex_unlock(&warehouse->running_lock);
    curl_slist_free_all(headers);
    strbuf_free(&url);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK) {
        warehouse->connection_failed = true;
        error_set(err, "ClickHouse server %s:%d: %s", server->host, server->port, curl_easy_strerror(code));
        return error_mark_transient(err);
    }
    warehouse->connection_failed = false;
    if (status == 200) return 0;
    char message[ERROR_MESSAGE_SIZE - 80];
    int failure = describe_failure(response, message, sizeof message);
    error_set(err, "ClickHouse server %s:%d: %s", server->host, server->port, message);
    if (status == 401 || status == 403 || failure == 192 || failure == 193 || failure == 516) error_mark_refused(err);
    if (clickhouse_code_is_transient(failure)) error_mark_transient(err);
    return -1;
}

/* Runs one statement on the main server, its answer into response. */
static int run_statement(struct clickhouse_warehouse *warehouse, const char *sql, bool tabular, struct strbuf *response,
                         struct error *err) {
    return clickhouse_post(warehouse, &warehouse->location.main, NULL, sql, strlen(sql), tabular, response, err);
}

/* The single number a scalar query answers. */
static int query_number(struct clickhouse_warehouse *warehouse, const char *sql, int64_t *number, struct error *err) {
    struct strbuf response;
    strbuf_init(&response);
    int status = run_statement(warehouse, sql, false, &response, err);
    *number = status == 0 ? strtoll(strbuf_text(&response), NULL, 10) : 0;
    strbuf_free(&response);
    return status;
}

/* Every shard's HTTP address: from system.clusters, each replica's TCP
 * port moved by the distance between the main server's HTTP and TCP ports
 * (8123 and 9000 on every server of a usual cluster; one apart on
 * scripts/clickhouse.sh's loopback cluster). */
static int find_servers(struct clickhouse_warehouse *warehouse, struct error *err) {
    struct clickhouse_location *location = &warehouse->location;
    if (location->server_count > 0 || location->cluster[0] == '\0') return 0;
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT host_address, port, is_local FROM system.clusters WHERE cluster = '%s' AND replica_num = 1"
             " ORDER BY shard_num", location->cluster);
    struct strbuf response;
    strbuf_init(&response);
    struct warehouse_result *result = NULL;
    int status = clickhouse_post(warehouse, &location->main, NULL, sql, strlen(sql), true, &response, err);
    if (status == 0) status = clickhouse_parse_tsv(response.data, response.length, &result, err);
    strbuf_free(&response);
    if (status != 0) return -1;
    long offset = 0;
    bool local_found = false;
    for (size_t row = 0; row < result->row_count; row++)
        if (strcmp(warehouse_result_cell(result, row, 2), "1") == 0 && !local_found) {
            offset = location->main.port - strtol(warehouse_result_cell(result, row, 1), NULL, 10);
            local_found = true;
        }
    if (result->row_count == 0)
        status = error_set(err, "ClickHouse server %s:%d has no cluster '%s' (remote_servers in its config)",
                           location->main.host, location->main.port, location->cluster);
    else if (result->row_count > CLICKHOUSE_MAX_SERVERS)
        status = error_set(err, "ClickHouse cluster '%s' has more than %d shards", location->cluster, CLICKHOUSE_MAX_SERVERS);
    else if (!local_found)
        offset = 8123 - 9000;   /* the server is not a shard itself: assume the usual ports */
    for (size_t row = 0; status == 0 && row < result->row_count; row++) {
        struct clickhouse_server *server = &location->servers[location->server_count++];
        snprintf(server->host, sizeof server->host, "%s", warehouse_result_cell(result, row, 0));
        server->port = (int)(strtol(warehouse_result_cell(result, row, 1), NULL, 10) + offset);
    }
    warehouse_result_free(result);
    return status;
}

static void curl_start(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static int clickhouse_open(const char *url, struct warehouse **out, struct error *err) {
    static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
    pthread_once(&curl_once, curl_start);   /* libcurl's global setup is not thread-safe */
    struct clickhouse_warehouse *warehouse = memory_calloc(1, sizeof *warehouse);
    warehouse->base.driver = &clickhouse_driver;
    warehouse->lock_fd = -1;
    pthread_mutex_init(&warehouse->running_lock, NULL);
    if (clickhouse_parse_location(url, &warehouse->location, err) != 0) {
        pthread_mutex_destroy(&warehouse->running_lock);
        free(warehouse);
        return -1;
    }
    warehouse->url = memory_strdup(url);
    warehouse->curl = curl_easy_init();
    /* The database of the URL is where unqualified names live: made here,
     * since the server refuses a request naming a database it lacks. */
    char database[CLICKHOUSE_NAME_SIZE];
    snprintf(database, sizeof database, "%s", warehouse->location.database);
    snprintf(warehouse->location.database, sizeof warehouse->location.database, "default");
    char sql[160];
    snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s", database);
    struct strbuf response;
    strbuf_init(&response);
    int status = find_servers(warehouse, err);
    for (size_t i = 0; status == 0 && i < warehouse->location.server_count; i++)
        status = clickhouse_post(warehouse, &warehouse->location.servers[i], NULL, sql, strlen(sql), false, &response, err);
    if (status == 0 && warehouse->location.server_count == 0) status = run_statement(warehouse, sql, false, &response, err);
    strbuf_free(&response);
    snprintf(warehouse->location.database, sizeof warehouse->location.database, "%s", database);
    if (status == 0) status = clickhouse_macros_load(&warehouse->base, err);   /* what earlier runs defined */
    if (status != 0) {
        clickhouse_driver.close(&warehouse->base);
        return error_prefix(err, "cannot connect to ClickHouse");
    }
    *out = &warehouse->base;
    return 0;
}

static void clickhouse_close(struct warehouse *base) {
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)base;
    if (warehouse->lock_fd >= 0) close(warehouse->lock_fd);
    curl_easy_cleanup(warehouse->curl);
    pthread_mutex_destroy(&warehouse->running_lock);
    free(warehouse->url);
    free(warehouse);
}

/* Waits until the mutations of relation (database.table) are done: the
 * engine expects a DELETE to have happened when it returns. */
static int wait_for_mutations(struct clickhouse_warehouse *warehouse, const char *relation, struct error *err) {
    const char *dot = strchr(relation, '.');
    char sql[400];
    if (dot)
        snprintf(sql, sizeof sql, "SELECT count() FROM system.mutations WHERE database = '%.*s' AND table = '%s'"
                                  " AND is_done = 0", (int)(dot - relation), relation, dot + 1);
    else
        snprintf(sql, sizeof sql, "SELECT count() FROM system.mutations WHERE database = currentDatabase()"
                                  " AND table = '%s' AND is_done = 0", relation);
    for (int waited = 0; waited < CLICKHOUSE_MUTATION_WAIT_SECONDS * 100; waited++) {
        int64_t pending;
        if (query_number(warehouse, sql, &pending, err) != 0) return -1;
        if (pending == 0) return 0;
        usleep(10000);
    }
    return error_set(err, "ClickHouse server %s:%d: a DELETE on %s did not finish in %d s", warehouse->location.main.host,
                     warehouse->location.main.port, relation, CLICKHOUSE_MUTATION_WAIT_SECONDS);
}

/* Runs one translated statement where it belongs. */
static int run_translated(struct clickhouse_warehouse *warehouse, const struct clickhouse_statement *statement,
                          int64_t *rows_changed, struct error *err) {
    struct strbuf response;
    strbuf_init(&response);
    int status = 0;
    int64_t before = 0, after = 0;
    char count_sql[200];
    snprintf(count_sql, sizeof count_sql, "SELECT count() FROM %s", statement->relation);
    switch (statement->kind) {
    case CLICKHOUSE_SKIP:
        break;
    case CLICKHOUSE_EVERY_SERVER:
        for (size_t i = 0; status == 0 && i < warehouse->location.server_count; i++)
            status = clickhouse_post(warehouse, &warehouse->location.servers[i], NULL, statement->sql.data,
                                     statement->sql.length, false, &response, err);
        if (warehouse->location.server_count == 0) status = run_statement(warehouse, statement->sql.data, false, &response, err);
        break;
    case CLICKHOUSE_MUTATION:
        status = run_statement(warehouse, statement->sql.data, false, &response, err);
        if (status == 0) status = wait_for_mutations(warehouse, statement->relation, err);
        break;
    case CLICKHOUSE_INSERT:
        /* The HTTP interface of 18.16 reports no count: the table's, before and after. */
        if (rows_changed) status = query_number(warehouse, count_sql, &before, err);
        if (status == 0) status = run_statement(warehouse, statement->sql.data, false, &response, err);
        if (status == 0 && rows_changed) status = query_number(warehouse, count_sql, &after, err);
        if (status == 0 && rows_changed) *rows_changed = after - before;
        break;
    case CLICKHOUSE_PLAIN:
        status = run_statement(warehouse, statement->sql.data, false, &response, err);
        break;
    }
    strbuf_free(&response);
    return status;
}

/* The statement as ClickHouse takes it: macros expanded, standard
 * literals and catalog names in ClickHouse's spelling. */
static int prepare_sql(const char *sql, struct strbuf *out, struct error *err) {
    struct strbuf expanded;
    strbuf_init(&expanded);
    int status = clickhouse_macro_expand(sql, &expanded, err);
    if (status == 0) clickhouse_rewrite_standard(strbuf_text(&expanded), out);
    strbuf_free(&expanded);
    return status;
}

/* Runs a script of one or more statements, each translated. */
static int clickhouse_execute(struct warehouse *base, const char *sql, int64_t *rows_changed, struct error *err) {
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)base;
    size_t count;
    char **statements = clickhouse_split_statements(sql, &count);
    int status = 0;
    for (size_t i = 0; status == 0 && i < count; i++) {
        int defined = clickhouse_macro_define(statements[i], err);
        if (defined != 0) {
            status = defined < 0 ? -1 : 0;
            continue;
        }
        struct strbuf prepared;
        strbuf_init(&prepared);
        struct clickhouse_statement translated = {0};
        status = prepare_sql(statements[i], &prepared, err);
        if (status == 0) status = clickhouse_translate(strbuf_text(&prepared), &translated, err);
        if (status == 0) status = run_translated(warehouse, &translated, i + 1 == count ? rows_changed : NULL, err);
        strbuf_free(&translated.sql);
        strbuf_free(&prepared);
    }
    clickhouse_free_statements(statements, count);
    if (status == 0) status = clickhouse_macros_store_new(base, err);   /* for later processes */
    return status;
}

static int clickhouse_execute_params(struct warehouse *base, const char *sql, const char *const *params,
                                     size_t param_count, struct error *err) {
    struct strbuf bound;
    strbuf_init(&bound);
    int status = clickhouse_bind(sql, params, param_count, &bound, err);
    if (status == 0) status = clickhouse_execute(base, strbuf_text(&bound), NULL, err);
    strbuf_free(&bound);
    return status;
}

static int clickhouse_query(struct warehouse *base, const char *sql, struct warehouse_result **result,
                            struct error *err) {
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)base;
    struct strbuf query, response;
    strbuf_init(&query);
    strbuf_init(&response);
    int status = prepare_sql(sql, &query, err);
    if (status == 0) status = run_statement(warehouse, strbuf_text(&query), true, &response, err);
    if (status == 0) status = clickhouse_parse_tsv(response.data ? response.data : "", response.length, result, err);
    strbuf_free(&query);
    strbuf_free(&response);
    return status;
}

static int clickhouse_append_open(struct warehouse *base, const char *schema, const char *table,
                                  const struct column *columns, size_t column_count,
                                  struct warehouse_appender **out, struct error *err) {
    (void)err;
    struct warehouse_appender *appender = memory_calloc(1, sizeof *appender);
    appender->driver = &clickhouse_driver;
    appender->owner = base;
    struct strbuf insert;
    strbuf_init(&insert);
    strbuf_printf(&insert, "INSERT INTO %s.%s (", schema, table);
    for (size_t i = 0; i < column_count; i++) strbuf_printf(&insert, "%s%s", i ? ", " : "", columns[i].name);
    strbuf_append_string(&insert, ") FORMAT TabSeparated");
    appender->insert = strbuf_detach(&insert);
    strbuf_init(&appender->rows);
    *out = appender;
    return 0;
}

static void append_decimal(struct strbuf *out, int64_t scaled, int scale) {
    if (scale == 0) { strbuf_printf(out, "%" PRId64, scaled); return; }
    int64_t unit = 1;
    for (int i = 0; i < scale; i++) unit *= 10;
    uint64_t magnitude = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
    strbuf_printf(out, "%s%" PRIu64 ".%0*" PRIu64, scaled < 0 ? "-" : "", magnitude / (uint64_t)unit, scale,
                  magnitude % (uint64_t)unit);
}

/* A date (days) or a timestamp (microseconds) as text: a timestamp as
 * DuckDB prints it, its fraction without trailing zeros (see
 * clickhouse_sql.c's append_type: timestamps are text there). */
static void append_calendar(struct strbuf *out, int64_t value, bool with_time) {
    int64_t days = value, rest = 0;
    if (with_time) {
        days = value / 86400000000LL;
        rest = value % 86400000000LL;
        if (rest < 0) { rest += 86400000000LL; days--; }
    }
    int year, month, day;
    value_civil_from_days(days, &year, &month, &day);
    strbuf_printf(out, "%04d-%02d-%02d", year, month, day);
    if (!with_time) return;
    int64_t seconds = rest / 1000000;
    int micros = (int)(rest % 1000000);
    strbuf_printf(out, " %02d:%02d:%02d", (int)(seconds / 3600), (int)(seconds / 60 % 60), (int)(seconds % 60));
    if (micros == 0) return;
    int digits = 6;
    while (micros % 10 == 0) { micros /= 10; digits--; }
    strbuf_printf(out, ".%0*d", digits, micros);
}

/* Sends the buffered rows as one INSERT. */
static int flush_rows(struct warehouse_appender *appender, struct error *err) {
    if (appender->rows.length == 0) return 0;
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)appender->owner;
    struct strbuf response;
    strbuf_init(&response);
    int status = clickhouse_post(warehouse, &warehouse->location.main, appender->insert, appender->rows.data,
                                 appender->rows.length, false, &response, err);
    strbuf_free(&response);
    strbuf_reset(&appender->rows);
    if (status != 0) appender->failed = true;
    return status;
}

/* One batch as TabSeparated rows, sent once the buffer is large. */
static int clickhouse_append_batch(struct warehouse_appender *appender, const struct batch *batch, struct error *err) {
    struct strbuf *out = &appender->rows;
    for (size_t row = 0; row < batch->row_count; row++) {
        for (size_t c = 0; c < batch->column_count; c++) {
            if (c) strbuf_append_char(out, '\t');
            if (batch->data[c].is_null[row]) { strbuf_append_string(out, "\\N"); continue; }
            int64_t number = batch->data[c].numbers ? batch->data[c].numbers[row] : 0;
            size_t length;
            const char *text;
            switch (batch->columns[c].type) {
            case COLUMN_TEXT:
                text = batch_text(batch, c, row, &length);
                clickhouse_append_tsv_escaped(out, text, length);
                break;
            case COLUMN_INTEGER: strbuf_printf(out, "%" PRId64, number); break;
            case COLUMN_DECIMAL: append_decimal(out, number, batch->columns[c].scale); break;
            case COLUMN_TIMESTAMP: append_calendar(out, number, true); break;
            case COLUMN_DATE: append_calendar(out, number, false); break;
            case COLUMN_BOOLEAN: strbuf_append_char(out, number ? '1' : '0'); break;
            }
        }
        strbuf_append_char(out, '\n');
    }
    return out->length >= CLICKHOUSE_INSERT_BUFFER ? flush_rows(appender, err) : 0;
}

/* Sends what is left; the HTTP interface reports no row count (-1): the
 * engine reconciles by counting the table. */
static int clickhouse_append_close(struct warehouse_appender *appender, int64_t *rows_received, struct error *err) {
    *rows_received = -1;
    int status = appender->failed ? 0 : flush_rows(appender, err);
    strbuf_free(&appender->rows);
    free(appender->insert);
    free(appender);
    return status;
}

/* Cancels the running statement: KILL QUERY by its id, from a handle of
 * its own (this runs on another thread than the statement). */
static void clickhouse_interrupt(struct warehouse *base) {
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)base;
    char query_id[64];
    pthread_mutex_lock(&warehouse->running_lock);
    snprintf(query_id, sizeof query_id, "%s", warehouse->running_query_id);
    pthread_mutex_unlock(&warehouse->running_lock);
    if (query_id[0] == '\0') return;
    CURL *curl = curl_easy_init();
    if (curl == NULL) return;
    char url[CLICKHOUSE_HOST_SIZE + 32], sql[160];
    snprintf(url, sizeof url, "http://%s:%d/", warehouse->location.main.host, warehouse->location.main.port);
    snprintf(sql, sizeof sql, "KILL QUERY WHERE query_id = '%s' ASYNC", query_id);
    struct strbuf ignored;
    strbuf_init(&ignored);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, sql);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ignored);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    const char *user = getenv("CLICKHOUSE_USER"), *password = getenv("CLICKHOUSE_PASSWORD");
    if (user && *user) curl_easy_setopt(curl, CURLOPT_USERNAME, user);
    if (password && *password) curl_easy_setopt(curl, CURLOPT_PASSWORD, password);
    curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    strbuf_free(&ignored);
}

/* HTTP keeps no session: the connection was "lost" if the last request
 * failed on the network; it is back when the server answers a ping. */
static int clickhouse_reconnect(struct warehouse *base, struct error *err) {
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)base;
    if (!warehouse->connection_failed) return 0;
    int64_t one;
    if (query_number(warehouse, "SELECT 1", &one, err) != 0) return -1;
    return 1;
}

static int clickhouse_open_another(struct warehouse *base, struct warehouse **another, struct error *err) {
    return clickhouse_open(((struct clickhouse_warehouse *)base)->url, another, err);
}

/* ClickHouse has no locks: an flock on a file named after the server and
 * the lock, in the temporary folder, serves processes of this machine. */
static int clickhouse_try_lock(struct warehouse *base, const char *name, struct error *err) {
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)base;
    const char *folder = getenv("TMPDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/martlet-clickhouse-%s-%d-%s-%s.lock", folder && *folder ? folder : "/tmp",
             warehouse->location.main.host, warehouse->location.main.port, warehouse->location.database, name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return error_set(err, "cannot open the lock file %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return 0;
    }
    if (warehouse->lock_fd >= 0) close(warehouse->lock_fd);
    warehouse->lock_fd = fd;
    return 1;
}

const struct warehouse_driver clickhouse_driver = {
    .name = "clickhouse",
    .open = clickhouse_open,
    .close = clickhouse_close,
    .execute = clickhouse_execute,
    .execute_params = clickhouse_execute_params,
    .query = clickhouse_query,
    .append_open = clickhouse_append_open,
    .append_batch = clickhouse_append_batch,
    .append_close = clickhouse_append_close,
    .reconnect = clickhouse_reconnect,
    .interrupt = clickhouse_interrupt,
    .open_another = clickhouse_open_another,
    .try_lock = clickhouse_try_lock,
    /* Removes the rows at once; a DELETE would be an asynchronous mutation. */
    .empty_table_statement = "TRUNCATE TABLE",
};

/* The cluster the URL names, or NULL for one server. */
const char *clickhouse_cluster(const struct warehouse *base) {
    if (base->driver != &clickhouse_driver) return NULL;
    const struct clickhouse_warehouse *warehouse = (const struct clickhouse_warehouse *)base;
    return warehouse->location.cluster[0] ? warehouse->location.cluster : NULL;
}

/* Runs one statement (macros expanded, not translated: native DDL) on
 * every server of the cluster, or on the one server. */
int clickhouse_execute_everywhere(struct warehouse *base, const char *sql, struct error *err) {
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)base;
    struct strbuf prepared, response;
    strbuf_init(&prepared);
    strbuf_init(&response);
    int status = prepare_sql(sql, &prepared, err);
    for (size_t i = 0; status == 0 && i < warehouse->location.server_count; i++)
        status = clickhouse_post(warehouse, &warehouse->location.servers[i], NULL, prepared.data, prepared.length, false,
                                 &response, err);
    if (status == 0 && warehouse->location.server_count == 0)
        status = run_statement(warehouse, strbuf_text(&prepared), false, &response, err);
    strbuf_free(&prepared);
    strbuf_free(&response);
    return status;
}
