/* test_clickhouse.c -- the ClickHouse warehouse: its URL, the statements
 * and results it translates (no server needed), and against the real
 * 2-shard loopback cluster scripts/test.sh starts (MARTLET_TEST_CLICKHOUSE,
 * its folder in MARTLET_TEST_CLICKHOUSE_DIR): typed inserts, the social
 * pipeline equal to DuckDB's row by row with every shard holding rows, and
 * a stopped shard. The cluster is shared: its tests take a lock on its
 * folder and start from empty databases. Without it they say they are
 * skipped. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "../src/warehouse/clickhouse_driver.h"
#include "../src/warehouse/clickhouse_macros.h"
#include "../src/warehouse/clickhouse_sql.h"
#include "clickhouse_cluster.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(clickhouse_url, reads_a_cluster_url_and_refuses_what_could_reach_sql_or_leak) {
    struct clickhouse_location location;
    struct error err;
    cr_assert_eq(clickhouse_parse_location("clickhouse://db.example:8123/warehouse?cluster=martlet", &location, &err), 0,
                 "%s", err.message);
    cr_expect_str_eq(location.main.host, "db.example");
    cr_expect_eq(location.main.port, 8123);
    cr_expect_str_eq(location.database, "warehouse");
    cr_expect_str_eq(location.cluster, "martlet");
    cr_expect_eq(location.server_count, 0);
    cr_assert_eq(clickhouse_parse_location("clickhouse://127.0.0.1:1/w?servers=127.0.0.1:2,127.0.0.1:3", &location, &err), 0);
    cr_expect_eq(location.server_count, 2);
    cr_expect_eq(location.servers[1].port, 3);
    static const char *const refused[] = {
        "clickhouse://user:secret@h:8123/w",       /* a password belongs in CLICKHOUSE_PASSWORD */
        "clickhouse://h:8123/w;DROP",               /* the database reaches SQL */
        "clickhouse://h:8123/w?cluster=a-b",
        "clickhouse://h:8123/w?settings=x",
        "clickhouse://h:99999/w",
        "clickhouse://h/w",
        "clickhouse://h:8123/",
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        cr_expect_neq(clickhouse_parse_location(refused[i], &location, &err), 0, "%s should be refused", refused[i]);
        cr_expect_null(strstr(err.message, "secret"), "the password never reaches a message: %s", err.message);
    }
}

/* The translation of one statement. */
static char *translated(const char *statement, enum clickhouse_statement_kind *kind) {
    struct clickhouse_statement out;
    struct error err;
    cr_assert_eq(clickhouse_translate(statement, &out, &err), 0, "%s", err.message);
    *kind = out.kind;
    char *text = memory_strdup(out.sql.data ? out.sql.data : "");
    strbuf_free(&out.sql);
    return text;
}

Test(clickhouse_sql, translates_the_statements_the_engine_writes) {
    enum clickhouse_statement_kind kind;
    char *sql = translated("CREATE TABLE IF NOT EXISTS staging.t (a BIGINT, b TEXT, c DECIMAL(12,2), d TIMESTAMP,"
                           " e DATE, f BOOLEAN NOT NULL, PRIMARY KEY (a))", &kind);
    cr_expect_str_eq(sql, "CREATE TABLE IF NOT EXISTS staging.t (a Nullable(Int64), b Nullable(String),"
                          " c Nullable(Decimal(12,2)), d Nullable(String), e Nullable(Date), f UInt8)"
                          " ENGINE = MergeTree ORDER BY tuple()");
    cr_expect_eq(kind, CLICKHOUSE_PLAIN);
    free(sql);
    sql = translated("DELETE FROM staging.t", &kind);
    cr_expect_str_eq(sql, "TRUNCATE TABLE staging.t");
    free(sql);
    sql = translated("DELETE FROM staging.t_rejects WHERE file = 'a.csv'", &kind);
    cr_expect_str_eq(sql, "ALTER TABLE staging.t_rejects DELETE WHERE  file = 'a.csv'");
    cr_expect_eq(kind, CLICKHOUSE_MUTATION);
    free(sql);
    sql = translated("CREATE SCHEMA IF NOT EXISTS dds", &kind);
    cr_expect_str_eq(sql, "CREATE DATABASE IF NOT EXISTS dds");
    cr_expect_eq(kind, CLICKHOUSE_EVERY_SERVER);
    free(sql);
    free(translated("BEGIN TRANSACTION", &kind));
    cr_expect_eq(kind, CLICKHOUSE_SKIP);
    sql = translated("CREATE TABLE mart.x AS\nSELECT 1 AS a", &kind);
    cr_expect_str_eq(sql, "CREATE TABLE mart.x  ENGINE = MergeTree ORDER BY tuple() AS\nSELECT 1 AS a");
    free(sql);
    sql = translated("ALTER TABLE staging.t_rejects ADD COLUMN run_id BIGINT", &kind);
    cr_expect_str_eq(sql, "ALTER TABLE staging.t_rejects ADD COLUMN run_id Nullable(Int64)");
    free(sql);
    sql = translated("INSERT INTO dds.h SELECT 1", &kind);
    cr_expect_eq(kind, CLICKHOUSE_INSERT);
    free(sql);
}

/* A source's new column keeps its declared default (source_task.c writes
 * it portably): re-quoted for ClickHouse and cast to the native type, a
 * boolean's as 1 or 0. Before, the DEFAULT was dropped and old rows held
 * NULL. */
Test(clickhouse_sql, keeps_a_new_columns_declared_default) {
    enum clickhouse_statement_kind kind;
    char *sql = translated("ALTER TABLE staging.t ADD COLUMN channel TEXT DEFAULT CAST('it''s \\ web' AS TEXT)", &kind);
    cr_expect_str_eq(sql, "ALTER TABLE staging.t ADD COLUMN channel Nullable(String)"
                          " DEFAULT CAST('it\\'s \\\\ web' AS Nullable(String))");
    free(sql);
    sql = translated("ALTER TABLE staging.t ADD COLUMN paid BOOLEAN DEFAULT CAST('Yes' AS BOOLEAN)", &kind);
    cr_expect_str_eq(sql, "ALTER TABLE staging.t ADD COLUMN paid Nullable(UInt8) DEFAULT CAST(1 AS Nullable(UInt8))");
    free(sql);
    sql = translated("ALTER TABLE staging.t ADD COLUMN price DECIMAL(12,2) DEFAULT CAST('1.50' AS DECIMAL(12,2))", &kind);
    cr_expect_str_eq(sql, "ALTER TABLE staging.t ADD COLUMN price Nullable(Decimal(12,2))"
                          " DEFAULT CAST('1.50' AS Nullable(Decimal(12,2)))");
    free(sql);
}

Test(clickhouse_sql, binds_values_as_escaped_literals_outside_quotes) {
    struct strbuf out;
    strbuf_init(&out);
    struct error err;
    const char *params[] = {"O'Brien \\ x", NULL};
    cr_assert_eq(clickhouse_bind("SELECT $1, $2, '$1', $10", params, 2, &out, &err), -1, "a missing value is an error");
    strbuf_reset(&out);
    cr_assert_eq(clickhouse_bind("SELECT $1, $2, '$1 it''s'", params, 2, &out, &err), 0, "%s", err.message);
    cr_expect_str_eq(strbuf_text(&out), "SELECT 'O\\'Brien \\\\ x', NULL, '$1 it''s'");
    strbuf_free(&out);
}

Test(clickhouse_sql, splits_scripts_at_semicolons_outside_quotes_and_comments) {
    size_t count;
    char **statements = clickhouse_split_statements("SELECT 'a;b'; -- it's; a comment\nSELECT 2;\n\n  ;", &count);
    cr_assert_eq(count, 2);
    cr_expect_str_eq(statements[0], "SELECT 'a;b'");
    cr_expect_str_eq(statements[1], " -- it's; a comment\nSELECT 2");
    clickhouse_free_statements(statements, count);
}

/* Regression: an apostrophe in a comment ("a group's name") opened a
 * string, so the timestamp literal after it kept its fraction; and TRUE
 * after blanks was read from a blank and became 0. */
Test(clickhouse_sql, rewrites_standard_literals_outside_strings_and_comments) {
    struct strbuf out;
    strbuf_init(&out);
    clickhouse_rewrite_standard("-- a group's name\nSELECT  true AS t, false, 'true', DATE '2024-01-02',"
                                " CAST('2024-01-02 03:04:05.123456' AS TIMESTAMP), untrue, x.true_value"
                                " FROM information_schema.tables", &out);
    cr_expect_str_eq(strbuf_text(&out),
                     "-- a group's name\nSELECT  1 AS t, 0, 'true', toDate('2024-01-02'),"
                     " CAST('2024-01-02 03:04:05' AS TIMESTAMP), untrue, x.true_value"
                     " FROM (SELECT database AS table_schema, name AS table_name FROM system.tables)");
    strbuf_reset(&out);
    clickhouse_rewrite_standard("SELECT count(t.task) FILTER (WHERE t.status = 'a)'), min(f(x)) FILTER (WHERE y > (1)),"
                                " CAST(round(CAST(EXTRACT(EPOCH FROM (b - a)) AS NUMERIC), 2) AS TEXT),"
                                " CAST(a AS TIMESTAMP(0)) FROM t", &out);
    cr_expect_str_eq(strbuf_text(&out), "SELECT countIf(t.task,  t.status = 'a)'), minIf(f(x),  y > (1)),"
                                        " CAST(round(CAST(toFloat64( (b - a)) AS Float64), 2) AS TEXT),"
                                        " CAST(a AS DateTime) FROM t");
    strbuf_free(&out);
}

Test(clickhouse_sql, reads_tab_separated_results) {
    const char *answer = "a\tb\n1\t\\N\nx\\ty\\\\z\t\n";
    struct warehouse_result *result;
    struct error err;
    cr_assert_eq(clickhouse_parse_tsv(answer, strlen(answer), &result, &err), 0, "%s", err.message);
    cr_assert_eq(result->column_count, 2);
    cr_assert_eq(result->row_count, 2);
    cr_expect_str_eq(result->column_names[1], "b");
    cr_expect_str_eq(warehouse_result_cell(result, 0, 0), "1");
    cr_expect_null(warehouse_result_cell(result, 0, 1));
    cr_expect_str_eq(warehouse_result_cell(result, 1, 0), "x\ty\\z");
    cr_expect_str_eq(warehouse_result_cell(result, 1, 1), "");
    warehouse_result_free(result);
}

Test(clickhouse_macros, expands_nested_calls_with_their_arguments) {
    struct error err;
    cr_assert_eq(clickhouse_macro_define("-- parts\nCREATE MACRO test_part(value) AS coalesce(toString(value), '^^')", &err), 1);
    cr_assert_eq(clickhouse_macro_define("CREATE OR REPLACE MACRO test_key(canonical, salt) AS MD5(canonical || salt)", &err), 1);
    cr_expect_eq(clickhouse_macro_define("CREATE TABLE t (a BIGINT)", &err), 0, "not a macro");
    cr_expect_eq(clickhouse_macro_define("CREATE MACRO broken(a AS 1", &err), -1);
    struct strbuf out;
    strbuf_init(&out);
    cr_assert_eq(clickhouse_macro_expand("SELECT test_key(test_part(a) || ',' || test_part(f(b, c)), 'value') -- test_part(x)",
                                         &out, &err), 0, "%s", err.message);
    cr_expect_str_eq(strbuf_text(&out), "SELECT MD5((coalesce(toString((a)), '^^') || ',' || coalesce(toString((f(b, c))), '^^'))"
                                        " || ( 'value')) -- test_part(x)");
    strbuf_reset(&out);
    cr_expect_eq(clickhouse_macro_expand("SELECT test_key(1)", &out, &err), -1, "a wrong argument count is an error");
    strbuf_free(&out);
}

/* ---- against the test cluster ------------------------------------------ */

Test(clickhouse, every_type_and_escape_survives_an_insert) {
    const char *url;
    int lock = test_take_clickhouse(&url);
    const struct column *columns = test_typed_columns;
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_create_schema(warehouse, "staging", &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_create_table(warehouse, "staging", "typed", columns, 6, &err), 0, "%s", err.message);
    const char *text = "tab\there\nnew \\ slash 'q' привет";
    const int64_t numbers[] = {-42, -1205, 0, 1612935080990300, 19778, 1};
    struct batch *batch = test_typed_batch(text, numbers);
    struct warehouse_appender *appender;
    cr_assert_eq(warehouse_append_open(warehouse, "staging", "typed", columns, 6, &appender, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_append_batch(appender, batch, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_append_close(appender, &err), 0, "%s", err.message);
    char *row = test_query_text(warehouse, "SELECT concat(toString(i), '|', toString(d), '|', t, '|', ts, '|',"
                                           " toString(day), '|', toString(b)) FROM staging.typed WHERE i IS NOT NULL");
    cr_expect_str_eq(row, "-42|-12.05|tab\there\nnew \\ slash 'q' привет|2021-02-10 05:31:20.9903|2024-02-25|1");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count() FROM staging.typed WHERE i IS NULL AND t IS NULL AND b IS NULL"), 1);
    free(row);
    batch_free(batch);
    warehouse_close(warehouse);
    close(lock);
}

/* The social sources at scale 0.01 in a new folder under directory. */
static char *generated_social(const char *directory) {
    char *data = files_join(directory, "data");
    char *output;
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 11", data), 0, "%s", output);
    free(output);
    return data;
}

Test(clickhouse, social_on_two_shards_equals_duckdb_row_by_row, .timeout = 600) {
    const char *url;
    int lock = test_take_clickhouse(&url);
    char *directory = test_temp_directory(), *data = generated_social(directory), *output;
    char duckdb_url[600];
    snprintf(duckdb_url, sizeof duckdb_url, "duckdb:%s/w.duckdb", directory);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse %s --quiet", data,
                                  duckdb_url), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse '%s'", data, url), 0,
                 "%s", output);
    cr_expect_not_null(strstr(output, "read 25000 = loaded 25000 + rejected 0"), "%s", output);
    free(output);
    cr_expect_geq(test_expect_equal_to_duckdb(duckdb_url, url, true), 16, "every dds and mart table compared");
    static const char *const sharded[] = {"dds.h_users", "dds.h_dialogs", "dds.l_user_message", "dds.s_dialog_info",
                                          "dds.s_auth_history", "dds.l_user_group_activity"};
    for (size_t i = 0; i < sizeof sharded / sizeof *sharded; i++) {
        int64_t first = test_rows_on_shard(1, sharded[i]), second = test_rows_on_shard(2, sharded[i]);
        int64_t total = test_url_integer(url, strstr(sharded[i], "h_users") ? "SELECT count() FROM dds.h_users" : "SELECT 0");
        cr_expect(first > 0 && second > 0, "%s: shard 1 holds %lld rows, shard 2 %lld", sharded[i], (long long)first,
                  (long long)second);
        if (total > 0) cr_expect_eq(first + second, total, "the Distributed table reads both shards");
    }
    /* A rerun of the same date changes nothing. */
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse '%s' --quiet", data,
                                  url), 0, "%s", output);
    free(output);
    test_expect_equal_to_duckdb(duckdb_url, url, true);
    cr_assert_eq(test_martlet_run(&output, "query \"SELECT status, count() AS runs FROM martlet.runs GROUP BY status\""
                                           " --warehouse '%s'", url), 0, "%s", output);
    cr_expect_not_null(strstr(output, "success"), "both runs are recorded in the run state: %s", output);
    free(output);
    free(data);
    test_remove_directory(directory);
    close(lock);
}

Test(clickhouse, a_stopped_shard_fails_the_run_with_one_line_naming_it_and_a_rerun_converges, .timeout = 600) {
    const char *url;
    int lock = test_take_clickhouse(&url);
    char *directory = test_temp_directory(), *data = generated_social(directory), *output;
    char duckdb_url[600], command[900];
    snprintf(duckdb_url, sizeof duckdb_url, "duckdb:%s/w.duckdb", directory);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse %s --quiet", data,
                                  duckdb_url), 0, "%s", output);
    free(output);
    const char *cluster = getenv("MARTLET_TEST_CLICKHOUSE_DIR");
    snprintf(command, sizeof command, "bash scripts/clickhouse.sh stop-shard %s 2", cluster);
    cr_assert_eq(test_run_command(command, &output), 0, "%s", output);
    free(output);
    int code = test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse '%s' --quiet --retries 0",
                                data, url);
    snprintf(command, sizeof command, "bash scripts/clickhouse.sh start-shard %s 2", cluster);
    char *restarted;
    cr_assert_eq(test_run_command(command, &restarted), 0, "%s", restarted);
    free(restarted);
    cr_expect_eq(code, 1, "%s", output);
    const char *last = output;
    const char *newline = strchr(output, '\n');
    cr_expect(newline != NULL && newline[1] == '\0', "one line: %s", output);
    char stopped[64];
    snprintf(stopped, sizeof stopped, "ClickHouse server 127.0.0.1:%d:", test_clickhouse_shard_port(2));
    cr_expect_not_null(strstr(last, stopped), "names the stopped shard (%s): %s", stopped, last);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse '%s' --quiet", data,
                                  url), 0, "%s", output);
    free(output);
    test_expect_equal_to_duckdb(duckdb_url, url, true);
    free(data);
    test_remove_directory(directory);
    close(lock);
}

/* The social sources with two days of increments whose groups.csv differ
 * in the first group's is_private: the second day changes a satellite. */
static char *generated_changing_days(const char *directory) {
    char *data = files_join(directory, "data"), *output;
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 13 --increments 2", data), 0, "%s", output);
    free(output);
    char *snapshot = files_join(data, "groups.csv"), *text;
    struct error err;
    cr_assert_eq(files_read_all(snapshot, &text, &err), 0, "%s", err.message);
    static const char *const days[] = {"increments/2021-10-01", "increments/2021-10-02"};
    for (size_t d = 0; d < 2; d++) {
        char *folder = files_join(data, days[d]);
        if (d == 1) { /* the last field of line 2 flipped */
            char *end = strchr(strchr(text, '\n') + 1, '\n');
            cr_assert(end != NULL && (end[-1] == '0' || end[-1] == '1'), "%s", text);
            end[-1] = end[-1] == '0' ? '1' : '0';
        }
        free(test_write_file(folder, "groups.csv", text));
        free(folder);
    }
    free(text);
    free(snapshot);
    return data;
}

/* Satellites keep versions by the date they are valid from: the second
 * date run before the first (and the first again) on ClickHouse leaves
 * DuckDB's rows of one run per date in order, effective_from included. A
 * staging table made before the sources declared computed hash keys gets
 * them through ClickHouse's ALTER TABLE on the first run. */
Test(clickhouse, dates_out_of_order_equal_duckdb_in_order_with_effective_dates, .timeout = 600) {
    const char *url;
    int lock = test_take_clickhouse(&url);
    char *directory = test_temp_directory(), *data = generated_changing_days(directory), *output;
    char duckdb_url[600];
    snprintf(duckdb_url, sizeof duckdb_url, "duckdb:%s/w.duckdb", directory);
    static const char *const in_order[] = {"2021-10-01", "2021-10-02"}, *const reversed[] = {"2021-10-02", "2021-10-01", "2021-10-01"};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(test_martlet_run(&output, "run social --date %s --source-dir %s --warehouse %s --quiet", in_order[i],
                                      data, duckdb_url), 0, "%s", output);
        free(output);
    }
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_create_schema(warehouse, "staging", &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_execute(warehouse, "CREATE TABLE staging.group_log (group_id BIGINT, user_id BIGINT,"
                                              " user_id_from BIGINT, event TEXT, datetime TIMESTAMP)", &err), 0, "%s",
                 err.message);
    warehouse_close(warehouse);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(test_martlet_run(&output, "run social --date %s --source-dir %s --warehouse '%s' --quiet", reversed[i],
                                      data, url), 0, "%s: %s", reversed[i], output);
        free(output);
    }
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM staging.group_log WHERE hk_l_user_group_activity IS NULL"), 0);
    cr_expect_eq(test_url_integer(url, "SELECT uniqExact(effective_from) FROM dds.s_group_private_status"), 2);
    cr_expect_geq(test_expect_equal_to_duckdb(duckdb_url, url, false), 16, "every dds and mart table compared");
    free(data);
    test_remove_directory(directory);
    close(lock);
}

/* A satellite made before rows carried effective_from gets the column
 * (old rows valid from the day they were loaded), and the run's date then
 * takes their place: the tables equal DuckDB's one run of that date. */
Test(clickhouse, satellites_made_before_effective_dates_get_them, .timeout = 600) {
    const char *url;
    int lock = test_take_clickhouse(&url);
    char *directory = test_temp_directory(), *data = generated_social(directory), *output;
    char duckdb_url[600];
    snprintf(duckdb_url, sizeof duckdb_url, "duckdb:%s/w.duckdb", directory);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse %s --quiet", data,
                                  duckdb_url), 0, "%s", output);
    free(output);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse '%s' --quiet", data,
                                  url), 0, "%s", output);
    free(output);
    int64_t versions = test_url_integer(url, "SELECT count() FROM dds.s_admins");
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(clickhouse_execute_everywhere(warehouse, "ALTER TABLE dds.s_admins DROP COLUMN effective_from", &err), 0,
                 "%s", err.message);
    cr_assert_eq(clickhouse_execute_everywhere(warehouse, "ALTER TABLE dds.s_admins_shard DROP COLUMN effective_from", &err),
                 0, "%s", err.message);
    warehouse_close(warehouse);
    cr_assert_eq(test_martlet_run(&output, "run social --date 2021-10-01 --source-dir %s --warehouse '%s' --quiet", data,
                                  url), 0, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM dds.s_admins"), versions);
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM dds.s_admins WHERE effective_from = toDate('2021-10-01')"),
                 versions);
    test_expect_equal_to_duckdb(duckdb_url, url, true);
    free(data);
    test_remove_directory(directory);
    close(lock);
}
