/* test_clickhouse_faults.c -- ClickHouse loads and failures on a 2-shard
 * cluster each test starts for itself (scripts/clickhouse.sh into a
 * temporary folder: stopping a shard must not disturb the shared test
 * cluster): a load writes every shard and a failed one leaves the previous
 * rows; a shard stopped while social runs fails the run with one line
 * naming that shard, as a transient error the task retries; after its
 * restart a rerun converges to a clean run's checksums. Skipped with a
 * clear line when no server can start. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "../src/warehouse/warehouse.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A throwaway cluster: its folder and URL. */
struct cluster {
    char *directory;
    char url[300];
};

/* Starts a 2-shard cluster under a new temporary folder, or skips the test
 * when the server cannot start on this machine. */
static void cluster_start(struct cluster *cluster) {
    cluster->directory = test_temp_directory();
    char command[700], *output;
    snprintf(command, sizeof command, "bash scripts/clickhouse.sh start %s/ch 2", cluster->directory);
    if (test_run_command(command, &output) != 0) {
        char reason[300];
        snprintf(reason, sizeof reason, "ClickHouse could not be started: %.200s", output);
        free(output);
        test_remove_directory(cluster->directory);
        cr_skip_test("%s", reason);
    }
    const char *url = strstr(output, "clickhouse://");
    cr_assert_not_null(url, "%s", output);
    snprintf(cluster->url, sizeof cluster->url, "%.*s", (int)strcspn(url, "\n"), url);
    free(output);
}

/* Stops every server of the cluster and removes its folder. */
static void cluster_stop(struct cluster *cluster) {
    char command[700], *output;
    snprintf(command, sizeof command, "bash scripts/clickhouse.sh stop %s/ch", cluster->directory);
    test_run_command(command, &output);
    free(output);
    test_remove_directory(cluster->directory);
}

/* stop-shard or start-shard N. */
static void cluster_shard(const struct cluster *cluster, const char *action, int shard) {
    char command[700], *output;
    snprintf(command, sizeof command, "bash scripts/clickhouse.sh %s %s/ch %d", action, cluster->directory, shard);
    cr_assert_eq(test_run_command(command, &output), 0, "%s %d: %s", action, shard, output);
    free(output);
}

/* The HTTP port of shard N. */
static int shard_port(const struct cluster *cluster, int shard) {
    char path[600], *text = NULL;
    struct error err;
    snprintf(path, sizeof path, "%s/ch/shard%d/http_port", cluster->directory, shard);
    cr_assert_eq(files_read_all(path, &text, &err), 0, "%s", err.message);
    int port = atoi(text);
    free(text);
    return port;
}

/* The number sql answers on shard N alone (its own server, no cluster). */
static int64_t on_shard(const struct cluster *cluster, int shard, const char *sql) {
    char url[200];
    snprintf(url, sizeof url, "clickhouse://127.0.0.1:%d/default", shard_port(cluster, shard));
    return test_url_integer(url, sql);
}

/* Tables of a database on shard N whose name contains text. */
static int64_t tables_named_like(const struct cluster *cluster, int shard, const char *database, const char *text) {
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count() FROM system.tables WHERE database = '%s' AND position(name, '%s') > 0",
             database, text);
    return on_shard(cluster, shard, sql);
}

/* Drops the pipelines' databases on every server. */
static void drop_databases(const struct cluster *cluster) {
    static const char *const databases[] = {"staging", "dds", "mart", "martlet"};
    for (int shard = 1; shard <= 2; shard++) {
        char url[200];
        snprintf(url, sizeof url, "clickhouse://127.0.0.1:%d/default", shard_port(cluster, shard));
        struct warehouse *warehouse;
        struct error err;
        cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
        for (size_t i = 0; i < sizeof databases / sizeof *databases; i++) {
            char sql[80];
            snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", databases[i]);
            cr_assert_eq(warehouse_execute(warehouse, sql, &err), 0, "%s", err.message);
        }
        warehouse_close(warehouse);
    }
}

/* Every dds and mart table as "name=rows:hash" lines, the hash over each
 * row's text without load_dt (when a run started: two runs never agree). */
static char *checksums(const char *url) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    struct warehouse_result *tables;
    cr_assert_eq(warehouse_query(warehouse,
                                 "SELECT database, name FROM system.tables WHERE database IN ('dds', 'mart')"
                                 " AND NOT endsWith(name, '_shard') AND position(name, '__') = 0 ORDER BY database, name",
                                 &tables, &err), 0, "%s", err.message);
    struct strbuf all, sql;
    strbuf_init(&all);
    strbuf_init(&sql);
    for (size_t i = 0; i < tables->row_count; i++) {
        const char *database = warehouse_result_cell(tables, i, 0), *table = warehouse_result_cell(tables, i, 1);
        strbuf_reset(&sql);
        strbuf_printf(&sql, "SELECT name FROM system.columns WHERE database = '%s' AND table = '%s' AND name != 'load_dt'"
                            " ORDER BY name", database, table);
        struct warehouse_result *columns;
        cr_assert_eq(warehouse_query(warehouse, strbuf_text(&sql), &columns, &err), 0, "%s", err.message);
        strbuf_reset(&sql);
        strbuf_append_string(&sql, "SELECT concat(toString(count()), ':', toString(sum(cityHash64(concat('|'");
        for (size_t c = 0; c < columns->row_count; c++)
            strbuf_printf(&sql, ", ifNull(toString(%s), 'NULL'), '|'", warehouse_result_cell(columns, c, 0));
        strbuf_printf(&sql, "))))) FROM %s.%s", database, table);
        warehouse_result_free(columns);
        char *sum = test_query_text(warehouse, strbuf_text(&sql));
        strbuf_printf(&all, "%s.%s=%s\n", database, table, sum);
        free(sum);
    }
    cr_assert_geq(tables->row_count, 16, "every dds and mart table: %s", strbuf_text(&all));
    strbuf_free(&sql);
    warehouse_result_free(tables);
    warehouse_close(warehouse);
    return strbuf_detach(&all);
}

/* Appends the typed test batch `times` times to staging.typed. */
static void append_rows(struct warehouse *warehouse, int times) {
    const int64_t numbers[] = {7, 100, 0, 1612935080990300, 19778, 0};
    struct batch *batch = test_typed_batch("row", numbers);
    struct warehouse_appender *appender;
    struct error err;
    cr_assert_eq(warehouse_append_open(warehouse, "staging", "typed", test_typed_columns, 6, &appender, &err), 0, "%s",
                 err.message);
    for (int i = 0; i < times; i++) cr_assert_eq(warehouse_append_batch(appender, batch, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_append_close(appender, &err), 0, "%s", err.message);
    batch_free(batch);
}

/* Empties staging.typed the way a load does, in the open transaction. */
static void empty_typed(struct warehouse *warehouse) {
    char sql[200];
    struct error err;
    cr_assert_eq(warehouse_empty_table_sql(warehouse, "staging", "typed", sql, sizeof sql, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse, sql, &err), 0, "%s", err.message);
}

Test(clickhouse_loads, a_load_writes_every_shard_and_a_failed_one_leaves_the_previous_rows, .timeout = 300) {
    struct cluster cluster;
    cluster_start(&cluster);
    struct warehouse *warehouse, *reader;
    struct error err;
    cr_assert_eq(warehouse_open(cluster.url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_open(cluster.url, &reader, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_create_schema(warehouse, "staging", &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_create_table(warehouse, "staging", "typed", test_typed_columns, 6, &err), 0, "%s", err.message);
    /* A load: every shard gets its share, and the count comes from the servers. */
    cr_assert_eq(warehouse_begin(warehouse, &err), 0, "%s", err.message);
    empty_typed(warehouse);
    append_rows(warehouse, 5);
    cr_expect_eq(warehouse_rows_appended(warehouse, "staging", "typed"), 10, "the servers' count of the rows stored");
    cr_assert_eq(warehouse_commit(warehouse, &err), 0, "%s", err.message);
    int64_t first = on_shard(&cluster, 1, "SELECT count() FROM staging.typed_shard");
    int64_t second = on_shard(&cluster, 2, "SELECT count() FROM staging.typed_shard");
    cr_expect(first > 0 && second > 0, "both shards hold rows: %lld and %lld", (long long)first, (long long)second);
    cr_expect_eq(first + second, 10);
    cr_expect_eq(test_query_integer(reader, "SELECT count() FROM staging.typed"), 10);
    /* A load that fails: until its commit others read the previous rows; its rollback keeps them. */
    cr_assert_eq(warehouse_begin(warehouse, &err), 0, "%s", err.message);
    empty_typed(warehouse);
    append_rows(warehouse, 2);
    cr_expect_eq(test_query_integer(reader, "SELECT count() FROM staging.typed"), 10, "the load is not visible yet");
    warehouse_rollback(warehouse);
    cr_expect_eq(test_query_integer(reader, "SELECT count() FROM staging.typed"), 10, "the rollback kept the rows");
    for (int shard = 1; shard <= 2; shard++)
        cr_expect_eq(tables_named_like(&cluster, shard, "staging", "__"), 0, "shard %d keeps no half-built table", shard);
    /* A load that succeeds replaces them, on every shard. */
    cr_assert_eq(warehouse_begin(warehouse, &err), 0, "%s", err.message);
    empty_typed(warehouse);
    append_rows(warehouse, 2);
    cr_assert_eq(warehouse_commit(warehouse, &err), 0, "%s", err.message);
    cr_expect_eq(test_query_integer(reader, "SELECT count() FROM staging.typed"), 4);
    cr_expect_eq(on_shard(&cluster, 1, "SELECT count() FROM staging.typed_shard"), 2);
    cr_expect_eq(on_shard(&cluster, 2, "SELECT count() FROM staging.typed_shard"), 2);
    /* A DELETE reaches every shard's rows. */
    cr_assert_eq(warehouse_execute(warehouse, "DELETE FROM staging.typed WHERE i IS NULL", &err), 0, "%s", err.message);
    cr_expect_eq(test_query_integer(reader, "SELECT count() FROM staging.typed"), 2);
    warehouse_close(reader);
    warehouse_close(warehouse);
    cluster_stop(&cluster);
}

/* The social sources at scale 0.01 in a new folder under directory. */
static char *generated_social(const char *directory) {
    char *data = files_join(directory, "data");
    char *output;
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 11", data), 0, "%s", output);
    free(output);
    return data;
}

/* Whether the run state on the cluster records task `task` as done (0
 * while the run state does not exist yet). */
static bool task_succeeded(const char *url, const char *task) {
    struct warehouse *warehouse;
    struct error err;
    if (warehouse_open(url, &warehouse, &err) != 0) return false;
    char sql[300], *value = NULL;
    snprintf(sql, sizeof sql, "SELECT count() FROM martlet.task_runs WHERE task = '%s' AND status = 'success'", task);
    bool done = warehouse_query_value(warehouse, sql, &value, &err) == 0 && value && strcmp(value, "0") != 0;
    free(value);
    warehouse_close(warehouse);
    return done;
}

Test(clickhouse_faults, a_shard_stopped_mid_run_fails_it_with_one_line_naming_it_and_a_rerun_converges, .timeout = 900) {
    struct cluster cluster;
    cluster_start(&cluster);
    char *data = generated_social(cluster.directory), *output;
    /* A clean run: the checksums to converge to; every staging table has rows on both shards. */
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse '%s' --quiet", data,
                                  cluster.url), 0, "%s", output);
    free(output);
    char *clean = checksums(cluster.url);
    static const char *const staging[] = {"users", "groups", "dialogs", "group_log"};
    for (size_t i = 0; i < sizeof staging / sizeof *staging; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count() FROM staging.%s_shard", staging[i]);
        int64_t first = on_shard(&cluster, 1, sql), second = on_shard(&cluster, 2, sql);
        cr_expect(first > 0 && second > 0, "staging.%s: shard 1 holds %lld rows, shard 2 %lld", staging[i],
                  (long long)first, (long long)second);
    }
    /* A load whose every row is rejected fails and leaves the previous rows. */
    char *users = files_join(data, "users.csv"), *saved = NULL;
    struct error err;
    cr_assert_eq(files_read_all(users, &saved, &err), 0, "%s", err.message);
    int64_t users_before = test_url_integer(cluster.url, "SELECT count() FROM staging.users");
    test_write_file(data, "users.csv", "id,chat_name,registration_dt,country,age\nx,y,not a date,z,old\n");
    cr_expect_neq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse '%s' --quiet"
                                            " --select staging.users", data, cluster.url), 0, "%s", output);
    cr_expect_not_null(strstr(output, "every data row was rejected"), "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(cluster.url, "SELECT count() FROM staging.users"), users_before,
                 "the failed load left the previous rows");
    cr_expect_eq(test_url_integer(cluster.url, "SELECT count() FROM staging.users_rejects"), 1, "its reject is kept");
    test_write_file(data, "users.csv", saved);
    free(saved);
    free(users);
    /* From empty databases, a run that loses shard 2 once its first load is done. */
    drop_databases(&cluster);
    char *log = files_join(cluster.directory, "run.log");
    int pid = test_martlet_start(log, "run social --date 2021-10-01 --source-dir %s --warehouse '%s' --quiet --retries 1",
                                 data, cluster.url);
    bool loaded = false;
    for (int waited = 0; waited < 6000 && !loaded; waited++) {
        loaded = task_succeeded(cluster.url, "staging.users") || task_succeeded(cluster.url, "staging.groups");
        if (!loaded) usleep(20000);
    }
    cr_assert(loaded, "the run's first load did not finish");
    cluster_shard(&cluster, "stop-shard", 2);
    int code = test_wait_exit(pid);
    cr_assert_eq(files_read_all(log, &output, &err), 0, "%s", err.message);
    cluster_shard(&cluster, "start-shard", 2);
    cr_expect_eq(code, 1, "%s", output);
    const char *newline = strchr(output, '\n');
    cr_expect(newline != NULL && newline[1] == '\0', "one line: %s", output);
    char stopped[64];
    snprintf(stopped, sizeof stopped, "ClickHouse server 127.0.0.1:%d:", shard_port(&cluster, 2));
    cr_expect_not_null(strstr(output, stopped), "names the stopped shard (%s): %s", stopped, output);
    cr_expect_not_null(strstr(output, "gave up after 2 attempts"), "transient: tried again: %s", output);
    cr_expect_null(strstr(output, "password"), "%s", output);
    free(output);
    free(log);
    /* After the restart, a rerun completes what the failed run began. */
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse '%s' --quiet", data,
                                  cluster.url), 0, "%s", output);
    free(output);
    char *rerun = checksums(cluster.url);
    cr_expect_str_eq(rerun, clean, "the rerun converges to the clean run's checksums");
    free(rerun);
    free(clean);
    free(data);
    cluster_stop(&cluster);
}
