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
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define CLICKHOUSE_INSERT_BUFFER (32u << 20)   /* bytes of TabSeparated rows per INSERT */
#define CLICKHOUSE_MUTATION_WAIT_SECONDS 600
#define CLICKHOUSE_MAX_REBUILDS 16
#define CLICKHOUSE_RELATION_SIZE (2 * CLICKHOUSE_NAME_SIZE + 1)

/* A sharded table being refilled in NAME__new_shard: swapped in whole
 * (first_day "") with RENAME, or only the days first_day..last_day, a
 * partition per day, with REPLACE PARTITION. */
struct rebuild {
    char relation[CLICKHOUSE_RELATION_SIZE];
    char first_day[11], last_day[11];
};

struct clickhouse_warehouse {
    struct warehouse base;
    struct clickhouse_location location;
    char *url;                       /* for open_another; holds no secret */
    CURL *curl;
    pthread_mutex_t running_lock;    /* guards running_query_id against interrupt's thread */
    char running_query_id[64];
    bool connection_failed;          /* the last failure was the network's, not the statement's */
    int failure_code;                /* the server's exception code of the last failure, 0 if none */
    int lock_fd;                     /* try_lock's file, -1 if none */
    int tcp_ports[CLICKHOUSE_MAX_SERVERS];   /* each server's native port (system.clusters), 0 if unknown */
    CURL *server_curl[CLICKHOUSE_MAX_SERVERS];  /* for inserts into every shard at once, made on first use */
    bool in_transaction;
    /* Sharded tables emptied (or some of their days) in the open
     * transaction: refilled in NAME__new_shard on every server and swapped
     * in at COMMIT. */
    struct rebuild rebuilding[CLICKHOUSE_MAX_REBUILDS];
    size_t rebuilding_count;
};

struct warehouse_appender {
    const struct warehouse_driver *driver;   /* these three first: warehouse_appender_header */
    struct warehouse *owner;
    char relation[160];
    size_t server_count;                     /* the servers rows go to: every shard, or the main server */
    const struct clickhouse_server *servers[CLICKHOUSE_MAX_SERVERS];
    char *insert;                            /* INSERT INTO target (columns) FORMAT TabSeparated */
    char count_sql[2 * CLICKHOUSE_RELATION_SIZE];   /* SELECT count() FROM target */
    struct strbuf rows[CLICKHOUSE_MAX_SERVERS];     /* rows not sent yet, per server */
    size_t buffered;                         /* bytes in rows[] */
    size_t next_server;                      /* where the next row goes (round robin) */
    int64_t rows_before;                     /* the target's rows on those servers when opened */
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

/* The answer's "Code: N, e.displayText() = DB::SomeException: MESSAGE,
 * e.what() = ..." as "MESSAGE (code N)" on one line, and the code;
 * *network is set when the exception is a network one (NetException:
 * another server of the cluster could not be reached). */
static int describe_failure(const struct strbuf *body, char *text, size_t size, bool *network) {
    const char *answer = strbuf_text(body);
    int code = 0;
    if (strncmp(answer, "Code: ", 6) == 0) code = atoi(answer + 6);
    const char *message = answer, *display = strstr(answer, "e.displayText() = DB::");
    *network = display != NULL && strncmp(display + 22, "NetException: ", 14) == 0;
    if (display) {
        const char *colon = strstr(display + 22, ": ");
        if (colon) message = colon + 2;
    }
    const char *end = strstr(message, ", e.what()");
    size_t length = end ? (size_t)(end - message) : strlen(message);
    if (length >= size) length = size - 1;
    for (size_t i = 0; i < length; i++) text[i] = message[i] == '\n' || message[i] == '\r' ? ' ' : message[i];
    while (length > 0 && text[length - 1] == ' ') length--;
    text[length] = '\0';
    return code;
}

/* The server of the cluster a network failure's text names by its native
 * address "(HOST:PORT)" (the shard the server answering us could not
 * reach), or NULL. */
static const struct clickhouse_server *unreachable_server(const struct clickhouse_warehouse *warehouse,
                                                          const char *message) {
    for (size_t i = 0; i < warehouse->location.server_count; i++) {
        if (warehouse->tcp_ports[i] == 0) continue;
        char address[CLICKHOUSE_HOST_SIZE + 16];
        snprintf(address, sizeof address, "(%s:%d)", warehouse->location.servers[i].host, warehouse->tcp_ports[i]);
        if (strstr(message, address)) return &warehouse->location.servers[i];
    }
    return NULL;
}

/* MARTLET_CLICKHOUSE_TRACE=DIR keeps what the driver sent, for
 * bench/clickhouse_run.sh to replay through clickhouse-client (the
 * hand-run floor): every statement that succeeded, in the order they
 * finished, appended to DIR/trace.sql under a line naming its server
 * ("-- martlet-trace HOST:PORT"), and the rows of every insert in a file
 * of their own ("-- martlet-trace HOST:PORT insert FILE", the INSERT
 * following). Nothing else reads it. */
static void trace_request(const struct clickhouse_server *server, const char *insert_query, const char *body,
                          size_t length) {
    static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
    static atomic_uint_fast64_t trace_counter;
    const char *directory = getenv("MARTLET_CLICKHOUSE_TRACE");
    if (directory == NULL || *directory == '\0') return;
    struct strbuf record;
    strbuf_init(&record);
    if (insert_query) {
        char path[1200];
        snprintf(path, sizeof path, "%s/rows-%ld-%" PRIuFAST64 ".tsv", directory, (long)getpid(),
                 atomic_fetch_add(&trace_counter, 1));
        FILE *rows = fopen(path, "w");
        if (rows == NULL) { strbuf_free(&record); return; }
        fwrite(body, 1, length, rows);
        fclose(rows);
        strbuf_printf(&record, "-- martlet-trace %s:%d insert %s\n%s\n", server->host, server->port, path, insert_query);
    } else {
        strbuf_printf(&record, "-- martlet-trace %s:%d\n%.*s\n", server->host, server->port, (int)length, body);
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/trace.sql", directory);
    pthread_mutex_lock(&trace_lock);
    FILE *trace = fopen(path, "a");
    if (trace) {
        fwrite(record.data, 1, record.length, trace);
        fclose(trace);
    }
    pthread_mutex_unlock(&trace_lock);
    strbuf_free(&record);
}

/* One HTTP request being made: what must live until it is done. */
struct request {
    struct strbuf url;
    struct curl_slist *headers;
    char query_id[64];
};

/* Sets curl up to POST body to server with the statement either in the
 * body (insert_query NULL) or in the URL (an INSERT whose data is the
 * body), the answer going to response. */
static void request_prepare(struct clickhouse_warehouse *warehouse, CURL *curl, const struct clickhouse_server *server,
                            const char *insert_query, const char *body, size_t body_length, bool tabular,
                            struct strbuf *response, struct request *request) {
    new_query_id(request->query_id, sizeof request->query_id);
    strbuf_init(&request->url);
    strbuf_printf(&request->url, "http://%s:%d/?database=%s&query_id=%s&join_use_nulls=1&join_default_strictness=ALL",
                  server->host, server->port, warehouse->location.database, request->query_id);
    if (tabular) strbuf_append_string(&request->url, "&default_format=TabSeparatedWithNames");
    /* On a cluster: an INSERT into a Distributed table returns once every
     * shard has its rows (a shard down fails it), and a subquery over a
     * Distributed table inside a distributed query reads it once (GLOBAL). */
    if (warehouse->location.cluster[0])
        strbuf_append_string(&request->url, "&insert_distributed_sync=1&distributed_product_mode=global");
    if (insert_query) {
        char *escaped = curl_easy_escape(curl, insert_query, 0);
        strbuf_printf(&request->url, "&query=%s", escaped);
        curl_free(escaped);
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, strbuf_text(&request->url));
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
    /* No "Expect: 100-continue" round trip before a large body. */
    request->headers = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
    request->headers = curl_slist_append(request->headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, request->headers);
    strbuf_reset(response);
}

/* The outcome of a request curl made (code): 0, or -1 with err naming the
 * server. Network failures, a shard that cannot be reached and an
 * overloaded server are transient; a shard the answering server could not
 * reach is the one named. */
static int request_finish(struct clickhouse_warehouse *warehouse, CURL *curl, CURLcode code,
                          const struct clickhouse_server *server, const struct strbuf *response,
                          struct request *request, struct error *err) {
    curl_slist_free_all(request->headers);
    strbuf_free(&request->url);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK) {
        warehouse->connection_failed = true;
        error_set(err, "ClickHouse server %s:%d: %s", server->host, server->port, curl_easy_strerror(code));
        return error_mark_transient(err);
    }
    warehouse->connection_failed = false;
    warehouse->failure_code = 0;
    if (status == 200) return 0;
    char message[ERROR_MESSAGE_SIZE - 400];
    bool network;
    int failure = describe_failure(response, message, sizeof message, &network);
    warehouse->failure_code = failure;
    const struct clickhouse_server *unreachable = network ? unreachable_server(warehouse, message) : NULL;
    if (unreachable && unreachable != server) {
        /* The innermost reason ("Connection refused (HOST:PORT)") is the one to read. */
        const char *reason = message, *inner;
        while ((inner = strstr(reason, "Exception: ")) != NULL) reason = inner + 11;
        error_set(err, "ClickHouse server %s:%d: cannot be reached from %s:%d: %s", unreachable->host,
                  unreachable->port, server->host, server->port, reason);
    } else {
        error_set(err, "ClickHouse server %s:%d: %s", server->host, server->port, message);
    }
    if (status == 401 || status == 403 || failure == 192 || failure == 193 || failure == 516) error_mark_refused(err);
    if (network || clickhouse_code_is_transient(failure)) error_mark_transient(err);
    return -1;
}

/* POSTs body to server (see request_prepare); the answer goes to
 * response. The request's query id is the one interrupt kills. */
static int clickhouse_post(struct clickhouse_warehouse *warehouse, const struct clickhouse_server *server,
                           const char *insert_query, const char *body, size_t body_length, bool tabular,
                           struct strbuf *response, struct error *err) {
    CURL *curl = warehouse->curl;
    struct request request;
    request_prepare(warehouse, curl, server, insert_query, body, body_length, tabular, response, &request);
    pthread_mutex_lock(&warehouse->running_lock);
    snprintf(warehouse->running_query_id, sizeof warehouse->running_query_id, "%s", request.query_id);
    pthread_mutex_unlock(&warehouse->running_lock);
    CURLcode code = curl_easy_perform(curl);
    pthread_mutex_lock(&warehouse->running_lock);
    warehouse->running_query_id[0] = '\0';
    pthread_mutex_unlock(&warehouse->running_lock);
    int status = request_finish(warehouse, curl, code, server, response, &request, err);
    if (status == 0) trace_request(server, insert_query, body, body_length);
    return status;
}

/* POSTs the non-empty bodies[i] as insert_queries[i] to servers[i], all at
 * once (one connection per server, libcurl's multi interface): a load
 * reaches every shard in parallel. The first failure is reported. */
static int post_inserts_in_parallel(struct clickhouse_warehouse *warehouse, size_t count,
                                    const struct clickhouse_server *const *servers, char *const *insert_queries,
                                    const struct strbuf *bodies, struct error *err) {
    CURLM *multi = curl_multi_init();
    if (multi == NULL) return error_set(err, "ClickHouse: cannot start parallel inserts");
    struct request requests[CLICKHOUSE_MAX_SERVERS];
    struct strbuf responses[CLICKHOUSE_MAX_SERVERS];
    CURLcode results[CLICKHOUSE_MAX_SERVERS];
    bool sent[CLICKHOUSE_MAX_SERVERS] = {0};
    for (size_t i = 0; i < count; i++) {
        strbuf_init(&responses[i]);
        results[i] = CURLE_OK;
        if (bodies[i].length == 0) continue;
        if (warehouse->server_curl[i] == NULL) warehouse->server_curl[i] = curl_easy_init();
        CURL *curl = warehouse->server_curl[i];
        request_prepare(warehouse, curl, servers[i], insert_queries[i], bodies[i].data, bodies[i].length, false,
                        &responses[i], &requests[i]);
        curl_easy_setopt(curl, CURLOPT_PRIVATE, (char *)&results[i]);
        curl_multi_add_handle(multi, curl);
        sent[i] = true;
    }
    int running = 1;
    while (running > 0) {
        if (curl_multi_perform(multi, &running) != CURLM_OK) break;
        if (running > 0) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    CURLMsg *message;
    int left;
    while ((message = curl_multi_info_read(multi, &left)) != NULL) {
        if (message->msg != CURLMSG_DONE) continue;
        char *result;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &result);
        *(CURLcode *)(void *)result = message->data.result;
    }
    int status = 0;
    for (size_t i = 0; i < count; i++) {
        if (!sent[i]) { strbuf_free(&responses[i]); continue; }
        curl_multi_remove_handle(multi, warehouse->server_curl[i]);
        struct error failure;
        if (request_finish(warehouse, warehouse->server_curl[i], results[i], servers[i], &responses[i], &requests[i],
                           &failure) != 0) {
            if (status == 0) *err = failure;
            status = -1;
        } else {
            trace_request(servers[i], insert_queries[i], bodies[i].data, bodies[i].length);
        }
        strbuf_free(&responses[i]);
    }
    curl_multi_cleanup(multi);
    return status;
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
        warehouse->tcp_ports[location->server_count] = (int)strtol(warehouse_result_cell(result, row, 1), NULL, 10);
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

/* Runs sql on every server of the cluster (DDL each needs), or on the one
 * server. */
static int post_everywhere(struct clickhouse_warehouse *warehouse, const char *sql, struct error *err) {
    struct strbuf response;
    strbuf_init(&response);
    int status = 0;
    for (size_t i = 0; status == 0 && i < warehouse->location.server_count; i++)
        status = clickhouse_post(warehouse, &warehouse->location.servers[i], NULL, sql, strlen(sql), false, &response, err);
    if (warehouse->location.server_count == 0) status = run_statement(warehouse, sql, false, &response, err);
    strbuf_free(&response);
    return status;
}

/* ---- sharded tables a load writes: NAME (Distributed) over NAME_shard ----
 *
 * On a cluster, a table made by the portable CREATE TABLE (columns) -- a
 * source's staging table, its rejects -- is a MergeTree table NAME_shard on
 * every server and a Distributed table NAME over them (sharded by rand():
 * the client spreads rows itself). An append sends each shard its share of
 * the rows straight to NAME_shard, every shard at once. Emptying such a
 * table inside a task's transaction starts a rebuild: the rows go to
 * NAME__new_shard on every server, renamed in place of NAME_shard at COMMIT
 * and dropped at ROLLBACK, so a failed or killed load leaves the previous
 * content. A DELETE on it before the commit deletes from the task's rows;
 * any other statement that names it (a read) swaps it in first, so the
 * task sees what it loaded. */

/* Splits "database.table" (or "table": the URL's database). */
static void split_relation(const struct clickhouse_warehouse *warehouse, const char *relation, char *database,
                           char *table) {
    const char *dot = strchr(relation, '.');
    if (dot) snprintf(database, CLICKHOUSE_NAME_SIZE, "%.*s", (int)(dot - relation), relation);
    else snprintf(database, CLICKHOUSE_NAME_SIZE, "%s", warehouse->location.database);
    snprintf(table, CLICKHOUSE_NAME_SIZE, "%s", dot ? dot + 1 : relation);
}

/* The engine of relation on the main server ("" when there is no such
 * table). */
static int table_engine(struct clickhouse_warehouse *warehouse, const char *relation, char *engine, size_t size,
                        struct error *err) {
    char database[CLICKHOUSE_NAME_SIZE], table[CLICKHOUSE_NAME_SIZE], sql[300];
    split_relation(warehouse, relation, database, table);
    snprintf(sql, sizeof sql, "SELECT engine FROM system.tables WHERE database = '%s' AND name = '%s'", database, table);
    struct strbuf response;
    strbuf_init(&response);
    int status = run_statement(warehouse, sql, false, &response, err);
    size_t length = response.length;
    while (length > 0 && (response.data[length - 1] == '\n' || response.data[length - 1] == '\r')) length--;
    snprintf(engine, size, "%.*s", status == 0 ? (int)length : 0, status == 0 ? response.data : "");
    strbuf_free(&response);
    return status;
}

/* Whether relation is sharded: a Distributed table over relation_shard. */
static int is_sharded(struct clickhouse_warehouse *warehouse, const char *relation, bool *sharded, struct error *err) {
    *sharded = false;
    if (warehouse->location.cluster[0] == '\0' || warehouse->location.server_count == 0) return 0;
    char engine[64];
    if (table_engine(warehouse, relation, engine, sizeof engine, err) != 0) return -1;
    *sharded = strcmp(engine, "Distributed") == 0;
    return 0;
}

/* The index of relation among the tables being rebuilt, or -1. */
static int rebuild_index(const struct clickhouse_warehouse *warehouse, const char *relation) {
    for (size_t i = 0; i < warehouse->rebuilding_count; i++)
        if (strcmp(warehouse->rebuilding[i].relation, relation) == 0) return (int)i;
    return -1;
}

/* Forgets rebuild i (the last one takes its place). */
static void forget_rebuild(struct clickhouse_warehouse *warehouse, size_t i) {
    warehouse->rebuilding_count--;
    if (i != warehouse->rebuilding_count) warehouse->rebuilding[i] = warehouse->rebuilding[warehouse->rebuilding_count];
}

/* Records that relation is being rebuilt, whole (first_day NULL) or the
 * days first_day..last_day. */
static int remember_rebuild(struct clickhouse_warehouse *warehouse, const char *relation, const char *first_day,
                            const char *last_day, struct error *err) {
    int index = rebuild_index(warehouse, relation);
    if (index < 0) {
        if (warehouse->rebuilding_count == CLICKHOUSE_MAX_REBUILDS)
            return error_set(err, "ClickHouse: more than %d tables emptied in one task", CLICKHOUSE_MAX_REBUILDS);
        index = (int)warehouse->rebuilding_count++;
    }
    struct rebuild *rebuild = &warehouse->rebuilding[index];
    snprintf(rebuild->relation, sizeof rebuild->relation, "%s", relation);
    snprintf(rebuild->first_day, sizeof rebuild->first_day, "%s", first_day ? first_day : "");
    snprintf(rebuild->last_day, sizeof rebuild->last_day, "%s", last_day ? last_day : "");
    return 0;
}

/* Starts (or restarts) rebuilding relation: an empty relation__new_shard
 * of relation_shard's shape (and partitioning) on every server. */
static int begin_rebuild(struct clickhouse_warehouse *warehouse, const char *relation, const char *first_day,
                         const char *last_day, struct error *err) {
    if (remember_rebuild(warehouse, relation, first_day, last_day, err) != 0) return -1;
    char sql[3 * CLICKHOUSE_RELATION_SIZE];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s__new_shard", relation);
    int status = post_everywhere(warehouse, sql, err);
    snprintf(sql, sizeof sql, "CREATE TABLE %1$s__new_shard AS %1$s_shard", relation);
    if (status == 0) status = post_everywhere(warehouse, sql, err);
    return status;
}

/* How many days one ALTER TABLE replaces: each command is ~80 bytes of
 * the statement, which must stay under the server's max_query_size. */
#define CLICKHOUSE_PARTITIONS_PER_ALTER 500

/* A replace_dates source's emptying of the run's days (range) on a
 * sharded table, inside a task: the days are refilled in
 * relation__new_shard and, at COMMIT, swapped in partition by partition
 * on every server (replace_days), so a load that fails leaves the days'
 * previous rows and running a date k times equals once. The shard tables
 * are partitioned by CLICKHOUSE_PARTITION_COLUMN, the day of the date
 * column; a table without it (made by the portable CREATE TABLE, or by an
 * older martlet) is rebuilt whole once, partitioned, holding its rows
 * outside the days. where is the DELETE's condition, in ClickHouse's
 * spelling. 1 when the date column holds no day (the caller deletes). */
static int begin_dates_rebuild(struct clickhouse_warehouse *warehouse, const struct clickhouse_date_delete *range,
                               const char *where, struct error *err) {
    /* DESCRIBE, not system.columns: that one visits every table. */
    struct strbuf sql, response;
    strbuf_init(&sql);
    strbuf_init(&response);
    strbuf_printf(&sql, "DESCRIBE TABLE %s_shard", range->relation);
    struct warehouse_result *described = NULL;
    int status = run_statement(warehouse, strbuf_text(&sql), true, &response, err);
    if (status == 0) status = clickhouse_parse_tsv(response.data ? response.data : "", response.length, &described, err);
    strbuf_reset(&sql);
    bool partitioned = false;
    const char *type = NULL;
    for (size_t row = 0; status == 0 && row < described->row_count; row++) {
        const char *name = warehouse_result_cell(described, row, 0);
        if (strcmp(name, CLICKHOUSE_PARTITION_COLUMN) == 0) partitioned = true;
        if (strcmp(name, range->column) == 0) type = warehouse_result_cell(described, row, 1);
    }
    if (status == 0 && partitioned) {
        status = begin_rebuild(warehouse, range->relation, range->first, range->last, err);
    } else if (status == 0) {
        /* The columns as they are, then the day to partition by. */
        strbuf_printf(&sql, "CREATE TABLE %s__new_shard (", range->relation);
        for (size_t row = 0; row < described->row_count; row++) {
            const char *default_kind = warehouse_result_cell(described, row, 2);
            strbuf_printf(&sql, "%s%s %s", row ? ", " : "", warehouse_result_cell(described, row, 0),
                          warehouse_result_cell(described, row, 1));
            if (default_kind && *default_kind)
                strbuf_printf(&sql, " %s %s", default_kind, warehouse_result_cell(described, row, 3));
        }
        strbuf_printf(&sql, ", %s Date MATERIALIZED ", CLICKHOUSE_PARTITION_COLUMN);
        if (type == NULL || !clickhouse_day_expression(type, range->column, &sql)) status = 1;
        strbuf_printf(&sql, ") ENGINE = MergeTree PARTITION BY %s ORDER BY tuple()", CLICKHOUSE_PARTITION_COLUMN);
        char drop[2 * CLICKHOUSE_RELATION_SIZE];
        snprintf(drop, sizeof drop, "DROP TABLE IF EXISTS %s__new_shard", range->relation);
        if (status == 0) status = remember_rebuild(warehouse, range->relation, NULL, NULL, err);
        if (status == 0) status = post_everywhere(warehouse, drop, err);
        if (status == 0) status = post_everywhere(warehouse, strbuf_text(&sql), err);
        strbuf_reset(&sql);
        strbuf_printf(&sql, "INSERT INTO %1$s__new_shard SELECT * FROM %1$s_shard WHERE NOT ifNull((%2$s), 0)", range->relation, where);
        if (status == 0) status = post_everywhere(warehouse, strbuf_text(&sql), err);
    }
    warehouse_result_free(described);
    strbuf_free(&sql);
    strbuf_free(&response);
    return status;
}

/* Swaps the days of a rebuild in on server: each day of the range that
 * either relation_shard or relation__new_shard holds there (a partition
 * per day, whose ID is its YYYYMMDD) is replaced by the new table's, in
 * ALTERs of many commands (each replaces its day atomically; a day the
 * new rows lack is emptied). The days are read from the rows, not from
 * system.parts, which visits every table of the database. */
static int replace_days(struct clickhouse_warehouse *warehouse, const struct clickhouse_server *server,
                        const struct rebuild *rebuild, struct error *err) {
    struct strbuf sql, response;
    strbuf_init(&sql);
    strbuf_init(&response);
    strbuf_printf(&sql, "SELECT DISTINCT toString(toYYYYMMDD(" CLICKHOUSE_PARTITION_COLUMN ")) AS id FROM ("
                        "SELECT " CLICKHOUSE_PARTITION_COLUMN " FROM %1$s_shard WHERE " CLICKHOUSE_PARTITION_COLUMN
                        " BETWEEN toDate('%2$s') AND toDate('%3$s') UNION ALL SELECT " CLICKHOUSE_PARTITION_COLUMN
                        " FROM %1$s__new_shard WHERE " CLICKHOUSE_PARTITION_COLUMN " BETWEEN toDate('%2$s')"
                        " AND toDate('%3$s')) ORDER BY id",
                  rebuild->relation, rebuild->first_day, rebuild->last_day);
    int status = clickhouse_post(warehouse, server, NULL, strbuf_text(&sql), sql.length, false, &response, err);
    char *days = status == 0 ? strbuf_detach(&response) : NULL;
    size_t in_statement = 0;
    strbuf_reset(&sql);
    for (char *day = days, *end; status == 0 && day && (end = strchr(day, '\n')) != NULL; day = end + 1) {
        if (in_statement == 0) strbuf_printf(&sql, "ALTER TABLE %s_shard", rebuild->relation);
        strbuf_printf(&sql, "%s REPLACE PARTITION ID '%.8s' FROM %s__new_shard", in_statement ? "," : "", day,
                      rebuild->relation);
        if (++in_statement == CLICKHOUSE_PARTITIONS_PER_ALTER || end[1] == '\0') {
            status = clickhouse_post(warehouse, server, NULL, strbuf_text(&sql), sql.length, false, &response, err);
            strbuf_reset(&sql);
            in_statement = 0;
        }
    }
    free(days);
    strbuf_free(&sql);
    strbuf_free(&response);
    return status;
}

/* Swaps rebuild i in: on every server relation__new_shard takes
 * relation_shard's place in one RENAME, the old rows are dropped; or,
 * for a rebuild of some days, those days' partitions are replaced. */
static int finish_rebuild(struct clickhouse_warehouse *warehouse, size_t i, struct error *err) {
    struct rebuild rebuild = warehouse->rebuilding[i];
    const char *relation = rebuild.relation;
    char sql[4 * CLICKHOUSE_RELATION_SIZE];
    forget_rebuild(warehouse, i);
    if (rebuild.first_day[0]) {
        int status = 0;
        for (size_t server = 0; status == 0 && server < warehouse->location.server_count; server++)
            status = replace_days(warehouse, &warehouse->location.servers[server], &rebuild, err);
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s__new_shard", relation);
        if (status == 0) status = post_everywhere(warehouse, sql, err);
        return status;
    }
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s__old_shard", relation);
    int status = post_everywhere(warehouse, sql, err);
    snprintf(sql, sizeof sql, "RENAME TABLE %1$s_shard TO %1$s__old_shard, %1$s__new_shard TO %1$s_shard", relation);
    if (status == 0) status = post_everywhere(warehouse, sql, err);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s__old_shard", relation);
    if (status == 0) status = post_everywhere(warehouse, sql, err);
    return status;
}

/* Drops every rebuild's new tables (a rollback; errors are ignored: a
 * server that is down keeps an orphan the next rebuild replaces). */
static void abandon_rebuilds(struct clickhouse_warehouse *warehouse) {
    while (warehouse->rebuilding_count > 0) {
        char sql[2 * CLICKHOUSE_RELATION_SIZE];
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s__new_shard", warehouse->rebuilding[0].relation);
        struct error ignored;
        post_everywhere(warehouse, sql, &ignored);
        forget_rebuild(warehouse, 0);
    }
}

/* Whether sql names relation as a whole name (not a prefix of
 * relation_rejects). */
static bool names_relation(const char *sql, const char *relation) {
    size_t length = strlen(relation);
    for (const char *p = strstr(sql, relation); p; p = strstr(p + 1, relation)) {
        bool starts = p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.');
        bool ends = !(isalnum((unsigned char)p[length]) || p[length] == '_');
        if (starts && ends) return true;
    }
    return false;
}

/* Swaps in every rebuild sql names, before sql runs: it sees the rows the
 * task loaded. */
static int settle_rebuilds(struct clickhouse_warehouse *warehouse, const char *sql, struct error *err) {
    for (size_t i = 0; i < warehouse->rebuilding_count;) {
        if (!names_relation(sql, warehouse->rebuilding[i].relation)) { i++; continue; }
        if (finish_rebuild(warehouse, i, err) != 0) return -1;
    }
    return 0;
}

/* BEGIN, COMMIT, ROLLBACK: ClickHouse has no transactions; a commit swaps
 * the rebuilt tables in, a rollback drops them. */
static int transaction_statement(struct clickhouse_warehouse *warehouse, const char *sql, struct error *err) {
    while (isspace((unsigned char)*sql)) sql++;
    if (strncasecmp(sql, "BEGIN", 5) == 0) {
        abandon_rebuilds(warehouse);
        warehouse->in_transaction = true;
    } else if (strncasecmp(sql, "COMMIT", 6) == 0) {
        warehouse->in_transaction = false;
        while (warehouse->rebuilding_count > 0)
            if (finish_rebuild(warehouse, 0, err) != 0) {
                abandon_rebuilds(warehouse);
                return -1;
            }
    } else if (strncasecmp(sql, "ROLLBACK", 8) == 0) {
        warehouse->in_transaction = false;
        abandon_rebuilds(warehouse);
    }
    return 0;
}

/* The portable CREATE TABLE (columns) on a cluster: relation_shard on every
 * server and the Distributed relation over them (see above); a table that
 * exists unsharded stays as it is. translated is clickhouse_translate's
 * "CREATE TABLE [IF NOT EXISTS] relation (...) ENGINE = ...". */
static int create_sharded(struct clickhouse_warehouse *warehouse, const struct clickhouse_statement *translated,
                          struct error *err) {
    char engine[64], database[CLICKHOUSE_NAME_SIZE], table[CLICKHOUSE_NAME_SIZE];
    if (table_engine(warehouse, translated->relation, engine, sizeof engine, err) != 0) return -1;
    struct strbuf response;
    strbuf_init(&response);
    if (engine[0] && strcmp(engine, "Distributed") != 0) {
        int status = run_statement(warehouse, translated->sql.data, false, &response, err);
        strbuf_free(&response);
        return status;
    }
    strbuf_free(&response);
    const char *name = strstr(translated->sql.data, translated->relation);
    if (name == NULL) return error_set(err, "ClickHouse: cannot shard '%.60s'", translated->sql.data);
    size_t name_end = (size_t)(name - translated->sql.data) + strlen(translated->relation);
    bool if_not_exists = strstr(translated->sql.data, "IF NOT EXISTS") != NULL &&
                         strstr(translated->sql.data, "IF NOT EXISTS") < name;
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, "%.*s_shard%s", (int)name_end, translated->sql.data, translated->sql.data + name_end);
    int status = post_everywhere(warehouse, strbuf_text(&sql), err);
    split_relation(warehouse, translated->relation, database, table);
    strbuf_reset(&sql);
    strbuf_printf(&sql, "CREATE TABLE %s%s AS %s_shard ENGINE = Distributed(%s, %s, %s_shard, rand())",
                  if_not_exists ? "IF NOT EXISTS " : "", translated->relation, translated->relation,
                  warehouse->location.cluster, database, table);
    if (status == 0) status = post_everywhere(warehouse, strbuf_text(&sql), err);
    strbuf_free(&sql);
    return status;
}

/* Waits until server has no unfinished mutation of table (in database):
 * the engine expects a DELETE to have happened when it returns. */
static int wait_for_mutations(struct clickhouse_warehouse *warehouse, const struct clickhouse_server *server,
                              const char *database, const char *table, struct error *err) {
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT count() FROM system.mutations WHERE database = '%s' AND table = '%s'"
                              " AND is_done = 0", database, table);
    struct strbuf response;
    strbuf_init(&response);
    int status = 0;
    for (int waited = 0; waited < CLICKHOUSE_MUTATION_WAIT_SECONDS * 100; waited++) {
        status = clickhouse_post(warehouse, server, NULL, sql, strlen(sql), false, &response, err);
        if (status != 0 || strtoll(strbuf_text(&response), NULL, 10) == 0) break;
        usleep(10000);
        if (waited + 1 == CLICKHOUSE_MUTATION_WAIT_SECONDS * 100)
            status = error_set(err, "ClickHouse server %s:%d: a DELETE on %s.%s did not finish in %d s", server->host,
                               server->port, database, table, CLICKHOUSE_MUTATION_WAIT_SECONDS);
    }
    strbuf_free(&response);
    return status;
}

/* A statement on a sharded relation that each shard must run on its own
 * table (a DELETE mutation, ADD COLUMN): sql's "relation" becomes
 * "relation" + suffix ("_shard", or "__new_shard" while the task rebuilds
 * it) on every server; ADD COLUMN also reaches the Distributed tables, a
 * mutation is waited for on each server. */
static int run_on_shards(struct clickhouse_warehouse *warehouse, const char *sql, const char *relation,
                         const char *suffix, bool mutation, struct error *err) {
    const char *name = strstr(sql, relation);
    if (name == NULL) return error_set(err, "ClickHouse: cannot find %s in '%.60s'", relation, sql);
    size_t name_end = (size_t)(name - sql) + strlen(relation);
    struct strbuf on_shard;
    strbuf_init(&on_shard);
    strbuf_printf(&on_shard, "%.*s%s%s", (int)name_end, sql, suffix, sql + name_end);
    int status = post_everywhere(warehouse, strbuf_text(&on_shard), err);
    strbuf_free(&on_shard);
    char database[CLICKHOUSE_NAME_SIZE], table[CLICKHOUSE_NAME_SIZE + 16];
    split_relation(warehouse, relation, database, table);
    strcat(table, suffix);
    for (size_t i = 0; status == 0 && mutation && i < warehouse->location.server_count; i++)
        status = wait_for_mutations(warehouse, &warehouse->location.servers[i], database, table, err);
    if (status == 0 && !mutation) status = post_everywhere(warehouse, sql, err);
    return status;
}

/* The relation after "TRUNCATE TABLE " or "ALTER TABLE " at the start of
 * sql, into relation; false if sql does not start with prefix. */
static bool leading_relation(const char *sql, const char *prefix, char *relation, size_t size) {
    size_t length = strlen(prefix);
    if (strncasecmp(sql, prefix, length) != 0) return false;
    const char *start = sql + length, *end = start;
    while (*end && !isspace((unsigned char)*end) && *end != ';') end++;
    if (end == start || (size_t)(end - start) >= size) return false;
    snprintf(relation, size, "%.*s", (int)(end - start), start);
    return true;
}

/* Runs one translated statement (original before translation) where it
 * belongs: on sharded tables (above) the shards' way, else on the main
 * server or every server. */
static int run_translated(struct clickhouse_warehouse *warehouse, const char *original, const char *prepared,
                          const struct clickhouse_statement *statement, int64_t *rows_changed, struct error *err) {
    if (statement->kind == CLICKHOUSE_SKIP) return transaction_statement(warehouse, prepared, err);
    const char *sql = statement->sql.data;
    static const char column_table[] = " ENGINE = MergeTree ORDER BY tuple()";   /* clickhouse_translate's */
    size_t length = statement->sql.length;
    bool sharding = warehouse->location.cluster[0] != '\0' && warehouse->location.server_count > 0;
    if (sharding && strncmp(sql, "CREATE TABLE ", 13) == 0 && statement->relation[0] && length > sizeof column_table &&
        strcmp(sql + length - (sizeof column_table - 1), column_table) == 0)
        return create_sharded(warehouse, statement, err);
    char relation[CLICKHOUSE_RELATION_SIZE];
    bool sharded = false;
    if (leading_relation(sql, "TRUNCATE TABLE ", relation, sizeof relation)) {
        if (is_sharded(warehouse, relation, &sharded, err) != 0) return -1;
        if (sharded && warehouse->in_transaction) return begin_rebuild(warehouse, relation, NULL, NULL, err);
        if (sharded) {
            int index = rebuild_index(warehouse, relation);
            if (index >= 0) forget_rebuild(warehouse, (size_t)index);
            return run_on_shards(warehouse, sql, relation, "_shard", true, err);
        }
    }
    /* A replace_dates source's DELETE of the run's days in a task starts
     * rebuilding those days (begin_dates_rebuild). */
    struct clickhouse_date_delete range;
    const char *where = strstr(sql, " DELETE WHERE ");
    if (statement->kind == CLICKHOUSE_MUTATION && warehouse->in_transaction && where &&
        rebuild_index(warehouse, statement->relation) < 0 && clickhouse_parse_date_delete(original, &range)) {
        if (is_sharded(warehouse, range.relation, &sharded, err) != 0) return -1;
        int begun = sharded ? begin_dates_rebuild(warehouse, &range, where + 14, err) : 1;
        if (begun <= 0) return begun;
    }
    /* A DELETE of rows of a table being rebuilt deletes from the task's rows
     * (the rows of the previous content stay until the commit). */
    if (statement->kind == CLICKHOUSE_MUTATION && rebuild_index(warehouse, statement->relation) >= 0)
        return run_on_shards(warehouse, sql, statement->relation, "__new_shard", true, err);
    if (settle_rebuilds(warehouse, sql, err) != 0) return -1;
    if (statement->kind == CLICKHOUSE_MUTATION && is_sharded(warehouse, statement->relation, &sharded, err) != 0) return -1;
    if (statement->kind == CLICKHOUSE_MUTATION && sharded)
        return run_on_shards(warehouse, sql, statement->relation, "_shard", true, err);
    if (leading_relation(sql, "ALTER TABLE ", relation, sizeof relation) && strstr(sql, " ADD COLUMN ")) {
        if (is_sharded(warehouse, relation, &sharded, err) != 0) return -1;
        if (sharded) return run_on_shards(warehouse, sql, relation, "_shard", false, err);
    }
    struct strbuf response;
    strbuf_init(&response);
    int status = 0;
    int64_t before = 0, after = 0;
    char count_sql[200], database[CLICKHOUSE_NAME_SIZE], table[CLICKHOUSE_NAME_SIZE];
    snprintf(count_sql, sizeof count_sql, "SELECT count() FROM %s", statement->relation);
    switch (statement->kind) {
    case CLICKHOUSE_SKIP:
        break;
    case CLICKHOUSE_EVERY_SERVER:
        status = post_everywhere(warehouse, sql, err);
        break;
    case CLICKHOUSE_MUTATION:
        status = run_statement(warehouse, sql, false, &response, err);
        split_relation(warehouse, statement->relation, database, table);
        if (status == 0) status = wait_for_mutations(warehouse, &warehouse->location.main, database, table, err);
        break;
    case CLICKHOUSE_INSERT:
        /* The HTTP interface of 18.16 reports no count: the table's, before and after. */
        if (rows_changed) status = query_number(warehouse, count_sql, &before, err);
        if (status == 0) status = run_statement(warehouse, sql, false, &response, err);
        if (status == 0 && rows_changed) status = query_number(warehouse, count_sql, &after, err);
        if (status == 0 && rows_changed) *rows_changed = after - before;
        break;
    case CLICKHOUSE_PLAIN:
        status = run_statement(warehouse, sql, false, &response, err);
        break;
    }
    strbuf_free(&response);
    return status;
}

static void clickhouse_close(struct warehouse *base) {
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)base;
    abandon_rebuilds(warehouse);   /* a transaction never committed */
    if (warehouse->lock_fd >= 0) close(warehouse->lock_fd);
    curl_easy_cleanup(warehouse->curl);
    for (size_t i = 0; i < CLICKHOUSE_MAX_SERVERS; i++)
        if (warehouse->server_curl[i]) curl_easy_cleanup(warehouse->server_curl[i]);
    pthread_mutex_destroy(&warehouse->running_lock);
    free(warehouse->url);
    free(warehouse);
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
        if (status == 0)
            status = run_translated(warehouse, statements[i], strbuf_text(&prepared), &translated,
                                    i + 1 == count ? rows_changed : NULL, err);
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

/* Runs a query, its answer into response. A read of system.tables or
 * system.columns opens each table it lists, and one that another task
 * drops meanwhile (its NAME__new_shard swapped in, say) fails it with
 * UNKNOWN_TABLE (code 60) although nothing is wrong: such a read is
 * asked again, a few times, as a catalog in PostgreSQL or DuckDB never
 * fails that way. */
static int run_catalog_aware(struct clickhouse_warehouse *warehouse, const char *sql, struct strbuf *response,
                             struct error *err) {
    enum { UNKNOWN_TABLE = 60, ATTEMPTS = 5 };
    bool catalog = strstr(sql, "system.columns") != NULL || strstr(sql, "system.tables") != NULL;
    int status = run_statement(warehouse, sql, true, response, err);
    for (int attempt = 1; status != 0 && catalog && warehouse->failure_code == UNKNOWN_TABLE && attempt < ATTEMPTS;
         attempt++) {
        strbuf_reset(response);
        status = run_statement(warehouse, sql, true, response, err);
    }
    return status;
}

static int clickhouse_query(struct warehouse *base, const char *sql, struct warehouse_result **result,
                            struct error *err) {
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)base;
    struct strbuf query, response;
    strbuf_init(&query);
    strbuf_init(&response);
    int status = prepare_sql(sql, &query, err);
    if (status == 0) status = settle_rebuilds(warehouse, strbuf_text(&query), err);
    if (status == 0) status = run_catalog_aware(warehouse, strbuf_text(&query), &response, err);
    if (status == 0) status = clickhouse_parse_tsv(response.data ? response.data : "", response.length, result, err);
    strbuf_free(&query);
    strbuf_free(&response);
    return status;
}

/* The rows of the appender's target on its servers now. */
static int count_target(struct warehouse_appender *appender, int64_t *rows, struct error *err) {
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)appender->owner;
    struct strbuf response;
    strbuf_init(&response);
    int status = 0;
    *rows = 0;
    for (size_t i = 0; status == 0 && i < appender->server_count; i++) {
        status = clickhouse_post(warehouse, appender->servers[i], NULL, appender->count_sql, strlen(appender->count_sql),
                                 false, &response, err);
        if (status == 0) *rows += strtoll(strbuf_text(&response), NULL, 10);
    }
    strbuf_free(&response);
    return status;
}

/* Opens an append: into a sharded table (above), to every shard's own
 * table (NAME__new_shard while the task rebuilds it); else to the table on
 * the main server. The target is counted first: 18.16's HTTP interface
 * reports no count of an INSERT, the difference at close is the count. */
static int clickhouse_append_open(struct warehouse *base, const char *schema, const char *table,
                                  const struct column *columns, size_t column_count,
                                  struct warehouse_appender **out, struct error *err) {
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)base;
    char relation[CLICKHOUSE_RELATION_SIZE], target[CLICKHOUSE_RELATION_SIZE + 16];
    snprintf(relation, sizeof relation, "%s.%s", schema, table);
    bool sharded = false;
    if (is_sharded(warehouse, relation, &sharded, err) != 0) return -1;
    struct warehouse_appender *appender = memory_calloc(1, sizeof *appender);
    appender->driver = &clickhouse_driver;
    appender->owner = base;
    if (sharded) {
        snprintf(target, sizeof target, "%s%s", relation, rebuild_index(warehouse, relation) >= 0 ? "__new_shard" : "_shard");
        appender->server_count = warehouse->location.server_count;
        for (size_t i = 0; i < appender->server_count; i++) appender->servers[i] = &warehouse->location.servers[i];
    } else {
        snprintf(target, sizeof target, "%s", relation);
        appender->server_count = 1;
        appender->servers[0] = &warehouse->location.main;
    }
    struct strbuf insert;
    strbuf_init(&insert);
    strbuf_printf(&insert, "INSERT INTO %s (", target);
    for (size_t i = 0; i < column_count; i++) strbuf_printf(&insert, "%s%s", i ? ", " : "", columns[i].name);
    strbuf_append_string(&insert, ") FORMAT TabSeparated");
    appender->insert = strbuf_detach(&insert);
    snprintf(appender->count_sql, sizeof appender->count_sql, "SELECT count() FROM %s", target);
    for (size_t i = 0; i < appender->server_count; i++) strbuf_init(&appender->rows[i]);
    if (count_target(appender, &appender->rows_before, err) != 0) {
        int64_t ignored;
        appender->failed = true;
        clickhouse_driver.append_close(appender, &ignored, err);
        return -1;
    }
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

/* Sends the buffered rows as one INSERT per server, every server at once. */
static int flush_rows(struct warehouse_appender *appender, struct error *err) {
    if (appender->buffered == 0) return 0;
    struct clickhouse_warehouse *warehouse = (struct clickhouse_warehouse *)appender->owner;
    char *inserts[CLICKHOUSE_MAX_SERVERS];
    for (size_t i = 0; i < appender->server_count; i++) inserts[i] = appender->insert;
    int status = post_inserts_in_parallel(warehouse, appender->server_count, appender->servers, inserts, appender->rows, err);
    for (size_t i = 0; i < appender->server_count; i++) strbuf_reset(&appender->rows[i]);
    appender->buffered = 0;
    if (status != 0) appender->failed = true;
    return status;
}

/* One batch as TabSeparated rows, each row to the next server in turn,
 * sent once the buffers are large. */
static int clickhouse_append_batch(struct warehouse_appender *appender, const struct batch *batch, struct error *err) {
    for (size_t row = 0; row < batch->row_count; row++) {
        struct strbuf *out = &appender->rows[appender->next_server];
        appender->next_server = (appender->next_server + 1) % appender->server_count;
        size_t length_before = out->length;
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
        appender->buffered += out->length - length_before;
    }
    return appender->buffered >= CLICKHOUSE_INSERT_BUFFER ? flush_rows(appender, err) : 0;
}

/* Sends what is left; *rows_received is the target's rows now less when
 * the append opened, by the servers' own count. */
static int clickhouse_append_close(struct warehouse_appender *appender, int64_t *rows_received, struct error *err) {
    *rows_received = -1;
    int status = appender->failed ? 0 : flush_rows(appender, err);
    int64_t after = 0;
    if (status == 0 && !appender->failed && count_target(appender, &after, err) == 0)
        *rows_received = after - appender->rows_before;
    else if (status == 0 && !appender->failed)
        status = -1;
    for (size_t i = 0; i < appender->server_count; i++) strbuf_free(&appender->rows[i]);
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
    .append_counts_rows = true,
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
    struct strbuf prepared;
    strbuf_init(&prepared);
    int status = prepare_sql(sql, &prepared, err);
    if (status == 0) status = post_everywhere(warehouse, strbuf_text(&prepared), err);
    strbuf_free(&prepared);
    return status;
}
