/* test_clickhouse_workflow.c -- issue 15's workflow on the 2-shard
 * ClickHouse test cluster (tests/clickhouse_cluster.c), whose run state is
 * append-only: runs record their fingerprints, so `plan` after an edit
 * lists the model as changed (breaking or not) with its stale dates and
 * `backfill` rebuilds exactly those; SLA misses are told once, remembered
 * in martlet.sla_alerts; environments write into `<schema>__dev` on every
 * server, `diff` compares them with prod and `promote` swaps them in.
 * The pipeline is tests/data/clickhouse_workflow/chflow, copied into a
 * temporary folder and edited there. */
#include "../src/util/files.h"
#include "../src/util/clock.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "../src/warehouse/clickhouse_driver.h"
#include "clickhouse_cluster.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA "tests/data/workflow/flow-data"

/* Runs a shell command that must succeed; format's %s are all directory. */
static void shell(const char *format, const char *directory) {
    char command[2048], *output;
    snprintf(command, sizeof command, format, directory, directory, directory);
    cr_assert_eq(test_run_command(command, &output), 0, "%s: %s", command, output);
    free(output);
}

/* Takes the cluster, with the environments' databases dropped too, and
 * copies the pipeline into a new temporary folder (returned). */
static char *take_cluster_and_pipeline(const char **url, int *lock) {
    *lock = test_take_clickhouse(url);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(*url, &warehouse, &err), 0, "%s", err.message);
    static const char *const databases[] = {"staging__dev", "mart__dev"};
    for (size_t i = 0; i < sizeof databases / sizeof *databases; i++) {
        char sql[80];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", databases[i]);
        cr_assert_eq(clickhouse_execute_everywhere(warehouse, sql, &err), 0, "%s", err.message);
    }
    warehouse_close(warehouse);
    char *directory = test_temp_directory();
    shell("cp -r tests/data/clickhouse_workflow/chflow %s/chflow", directory);
    return directory;
}

/* `martlet ARGUMENTS` on the copied pipeline must exit with `code`; its output (the caller frees). */
static char *martlet(int code, const char *directory, const char *url, const char *command, const char *arguments) {
    char *output;
    int status = test_martlet_run(&output, "%s %s/chflow %s --warehouse '%s'", command, directory, arguments, url);
    cr_assert_eq(status, code, "%s %s: %s", command, arguments, output);
    return output;
}

static int count_of(const char *text, const char *part) {
    int count = 0;
    for (const char *at = strstr(text, part); at; at = strstr(at + 1, part)) count++;
    return count;
}

/* Regression: ClickHouse recorded no fingerprints, so `plan` after an edit
 * said "nothing to run". Now a breaking edit makes the model's dates and
 * its downstream stale, a description edit is non-breaking, backfill
 * rebuilds exactly the stale tasks and plan is then done. */
Test(clickhouse_workflow, plan_lists_an_edited_model_and_backfill_rebuilds_exactly_its_dates, .timeout = 300) {
    const char *url;
    int lock;
    char *directory = take_cluster_and_pipeline(&url, &lock);
    /* A dry run would write there (no rollback of an INSERT): refused, nothing made. */
    char *output = martlet(1, directory, url, "run", "--date 2024-05-01 --dry-run --source-dir " DATA);
    cr_expect(strstr(output, "--dry-run needs a warehouse that rolls back") != NULL, "%s", output);
    free(output);
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM system.tables WHERE database IN ('staging', 'mart')"), 0);
    free(martlet(0, directory, url, "run", "--from 2024-05-01 --to 2024-05-02 --source-dir " DATA " --quiet"));
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM martlet.task_fingerprints WHERE run_id = 1"), 6);
    output = martlet(0, directory, url, "plan", "--from 2024-05-01 --to 2024-05-02");
    cr_expect(strstr(output, "nothing to run") != NULL && strstr(output, "changed since") == NULL, "%s", output);
    free(output);

    shell("sed -i 's/sum(amount) AS revenue/sum(amount) * 2 AS revenue/' %s/chflow/models/mart/daily.sql", directory);
    shell("sed -i 's/^-- description: Customers per city./-- description: Customers in each city./' "
          "%s/chflow/models/mart/cities.sql", directory);
    output = martlet(0, directory, url, "plan", "--from 2024-05-01 --to 2024-05-02");
    cr_expect(strstr(output, "  mart.daily                   breaking: its latest build ran other SQL; rebuilt whole once,"
                             " with 2024-05-02, and everything downstream is stale") != NULL, "%s", output);
    cr_expect(strstr(output, "  mart.totals                  downstream of a breaking change: rebuilt whole once,"
                             " with 2024-05-02") != NULL, "%s", output);
    cr_expect(strstr(output, "  mart.cities                  non-breaking: header or comments only") != NULL, "%s", output);
    cr_expect_eq(count_of(output, "  -> rebuild 2 of 6 tasks\n"), 1, "tables hold no dates: rebuilt once. %s", output);
    cr_expect(strstr(output, "--select 'mart.daily mart.totals'") != NULL, "%s", output);
    free(output);

    free(martlet(0, directory, url, "backfill", "--from 2024-05-01 --to 2024-05-02 --source-dir " DATA));
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM martlet.task_runs WHERE run_id > 1"), 2,
                 "only mart.daily and mart.totals, once");
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM martlet.task_runs WHERE run_id > 1 AND status = 'success'"
                                       " AND task IN ('mart.daily', 'mart.totals')"), 2);
    cr_expect_eq(test_url_integer(url, "SELECT toInt64(sum(revenue)) FROM mart.daily"), 70, "the new SQL: twice 35.00");
    output = martlet(0, directory, url, "plan", "--from 2024-05-01 --to 2024-05-02");
    cr_expect(strstr(output, "nothing to run") != NULL && strstr(output, "mart.daily") == NULL, "%s", output);
    free(output);

    /* A column appended to the select list: additive, the table rebuilt once, downstream untouched. */
    shell("sed -i 's/count(\\*) AS orders$/count(*) AS orders, max(amount) AS biggest/' %s/chflow/models/mart/daily.sql",
          directory);
    output = martlet(0, directory, url, "plan", "--from 2024-05-01 --to 2024-05-02");
    cr_expect(strstr(output, "  mart.daily                   non-breaking: columns added; a table holds no dates of its own:"
                             " rebuilt once, with 2024-05-02, downstream is not\n") != NULL, "%s", output);
    cr_expect_eq(count_of(output, "  -> rebuild 1 of 6 tasks\n"), 1, "%s", output);
    cr_expect(strstr(output, "mart.totals") == NULL, "downstream is not stale: %s", output);
    free(output);
    test_remove_directory(directory);
    close(lock);
}

/* Regression: on ClickHouse the SLA memory was skipped, so a late date was
 * never told. Now a date whose deadline passed before any run finished is
 * told once (a command alert reading the event), and not again when it
 * runs again; a date still in time is not told. */
Test(clickhouse_workflow, an_sla_miss_is_told_once_and_remembered, .timeout = 300) {
    const char *url;
    int lock;
    char *directory = take_cluster_and_pipeline(&url, &lock);
    shell("sed -i '1s|{|{\"sla\": \"07:00\", \"on_sla_miss\": \"cat >> %s/sla.jsonl \\&\\& echo >> %s/sla.jsonl\",|' "
          "%s/chflow/pipeline.json", directory);
    char today[11], arguments[200];
    clock_utc_date(today);
    snprintf(arguments, sizeof arguments, "--date %s --source-dir " DATA " --quiet", today);
    free(martlet(0, directory, url, "run", arguments));
    free(martlet(0, directory, url, "run", "--date 2024-05-01 --source-dir " DATA " --quiet"));
    free(martlet(0, directory, url, "run", "--date 2024-05-01 --source-dir " DATA " --quiet"));
    char *path = files_join(directory, "sla.jsonl"), *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(path, &text, &err), 0, "no SLA alert was fired: %s", err.message);
    cr_expect_eq(count_of(text, "\"event\":\"sla_missed\""), 1, "told once: %s", text);
    cr_expect(strstr(text, "\"late_dates\":[\"2024-05-01\"]") != NULL, "%s", text);
    cr_expect_eq(test_url_integer(url, "SELECT count() FROM martlet.sla_alerts WHERE pipeline = 'chflow'"), 1);
    free(text);
    free(path);
    test_remove_directory(directory);
    close(lock);
}

/* Tables of a database on shard N's own server, "name engine" lines in name order. */
static char *tables_on_shard(int shard, const char *database) {
    char url[200], sql[300];
    snprintf(url, sizeof url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
    snprintf(sql, sizeof sql, "system.tables WHERE database = '%s'", database);
    return test_table_rows(url, sql, "name, engine");
}

/* A query's one number on the cluster's URL. */
static int64_t number(const char *url, const char *sql) {
    return test_url_integer(url, sql);
}

/* Regression: `--env` was refused on ClickHouse. Now prod runs, an edited
 * model and its downstream run in dev (on every server, the other tables
 * read from prod, an incremental model starting as a copy of prod's),
 * diff shows the changed rows, promote swaps them into prod by RENAME on
 * every shard, and afterwards prod equals what dev had, the untouched prod
 * tables are as they were, prod's tables were never dropped (one RENAME per
 * server swaps the shard table and the Distributed table; before, prod's
 * Distributed table was dropped and made again, a moment without it),
 * dev holds nothing -- no temporary table on any
 * server, its emptied database dropped -- and prod's plan is done. Then
 * `env ls` lists a dev table (refused on ClickHouse before) and `env drop`
 * removes it, its databases and run records on every server. */
Test(clickhouse_workflow, run_in_dev_diff_and_promote_on_every_shard, .timeout = 300) {
    const char *url;
    int lock;
    char *directory = take_cluster_and_pipeline(&url, &lock);
    free(martlet(0, directory, url, "run", "--from 2024-05-01 --to 2024-05-02 --source-dir " DATA " --quiet"));
    char *cities = test_table_rows(url, "mart.cities", "city, customers");
    char *orders = test_table_rows(url, "staging.orders", "id, day, amount, customer_id");

    shell("sed -i 's/sum(amount) AS revenue/sum(amount) * 2 AS revenue/' %s/chflow/models/mart/daily.sql", directory);
    shell("sed -i 's/SELECT day, id, amount FROM/SELECT day, id, amount * 10 AS amount FROM/' "
          "%s/chflow/models/mart/order_log.sql", directory);
    char *output = martlet(0, directory, url, "run", "--env dev --select 'daily+ order_log' --date 2024-05-02");
    cr_expect(strstr(output, "chflow__dev 2024-05-02..2024-05-02 (3 tasks") != NULL, "%s", output);
    free(output);
    cr_expect_eq(number(url, "SELECT toInt64(sum(revenue)) FROM mart.daily"), 35, "prod's daily untouched");
    cr_expect_eq(number(url, "SELECT toInt64(sum(revenue)) FROM mart__dev.daily"), 70, "dev's daily: both days rebuilt");
    cr_expect_eq(number(url, "SELECT toInt64(revenue) FROM mart__dev.totals"), 70, "totals read dev's daily");
    cr_expect_eq(number(url, "SELECT toInt64(sum(amount)) FROM mart__dev.order_log"), 15 + 200,
                 "2024-05-01 copied from prod, 2024-05-02 rebuilt in dev");
    for (int shard = 1; shard <= 2; shard++) {
        char *tables = tables_on_shard(shard, "mart__dev");
        cr_expect_str_eq(tables, "daily_shard|MergeTree\ndaily|Distributed\norder_log_shard|MergeTree\n"
                                 "order_log|Distributed\ntotals_shard|MergeTree\ntotals|Distributed\n",
                         "shard %d: %s", shard, tables);
        free(tables);
    }
    cr_expect_eq(number(url, "SELECT count() FROM system.tables WHERE database = 'staging__dev'"), 0,
                 "unselected sources are read from prod");

    output = martlet(1, directory, url, "diff", "--env dev --select 'daily order_log'");
    cr_expect(strstr(output, "mart.daily: key day (its unique_key)\n") != NULL, "%s", output);
    cr_expect(strstr(output, "  changed         2 row(s) with the same key and other values\n"
                             "    revenue                  2 row(s)\n") != NULL, "%s", output);
    cr_expect(strstr(output, "    day=2024-05-01: revenue 15.00 -> 30.00;\n") != NULL, "%s", output);
    cr_expect(strstr(output, "    id=3: amount 20.00 -> 200.00;\n") != NULL, "%s", output);
    cr_expect(strstr(output, "diff: 2 table(s) compared, 2 differ: mart.daily, mart.order_log") != NULL, "%s", output);
    free(output);

    char *dev_daily = test_table_rows(url, "mart__dev.daily", "day, revenue, orders");
    char *dev_totals = test_table_rows(url, "mart__dev.totals", "revenue, orders");
    char *dev_order_log = test_table_rows(url, "mart__dev.order_log", "day, id, amount");
    /* Every statement promote sends is kept (the driver's trace): prod's tables are swapped, never dropped. */
    char *trace = files_join(directory, "trace");
    shell("mkdir %s/trace", directory);
    setenv("MARTLET_CLICKHOUSE_TRACE", trace, 1);
    output = martlet(0, directory, url, "promote", "dev --select 'daily+ order_log'");
    unsetenv("MARTLET_CLICKHOUSE_TRACE");
    char *trace_file = files_join(trace, "trace.sql"), *sent = NULL;
    struct error err;
    cr_assert_eq(files_read_all(trace_file, &sent, &err), 0, "%s", err.message);
    cr_expect_eq(count_of(sent, "DROP TABLE IF EXISTS mart.") + count_of(sent, "DROP TABLE mart."), 0,
                 "no prod table is dropped, not even for a moment: %s", sent);
    cr_expect_eq(count_of(sent, "RENAME TABLE mart.daily_shard TO mart__dev.daily_shard__replaced, mart__dev.daily_shard"
                                " TO mart.daily_shard, mart.daily TO mart__dev.daily__replaced, mart__dev.daily__promoting"
                                " TO mart.daily\n"), 2, "one RENAME per server swaps both tables: %s", sent);
    free(sent);
    free(trace_file);
    free(trace);
    cr_expect(strstr(output, "promote dev -> prod: chflow, 3 table(s) by RENAME on every server\n") != NULL, "%s", output);
    cr_expect(strstr(output, "run records: chflow__dev run 2 -> chflow run 3") != NULL, "%s", output);
    cr_expect(strstr(output, "environment dev: 2 schema(s) left empty, dropped\n") != NULL, "%s", output);
    free(output);
    char *prod_daily = test_table_rows(url, "mart.daily", "day, revenue, orders");
    char *prod_totals = test_table_rows(url, "mart.totals", "revenue, orders");
    char *prod_order_log = test_table_rows(url, "mart.order_log", "day, id, amount");
    cr_expect_str_eq(prod_daily, dev_daily, "prod's daily is what dev's was");
    cr_expect_str_eq(prod_totals, dev_totals);
    cr_expect_str_eq(prod_order_log, dev_order_log);
    free(dev_daily);
    free(dev_totals);
    free(dev_order_log);
    free(prod_daily);
    free(prod_totals);
    free(prod_order_log);
    for (int shard = 1; shard <= 2; shard++) {
        char port_url[200];
        snprintf(port_url, sizeof port_url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
        char *temporary = test_table_rows(port_url, "system.tables WHERE database IN ('mart', 'mart__dev')"
                                                    " AND position(name, '__') > 0", "database, name");
        cr_expect_str_eq(temporary, "", "shard %d: no temporary table is left: %s", shard, temporary);
        free(temporary);
        char *databases = test_table_rows(port_url, "system.databases WHERE name = 'mart__dev'", "name");
        cr_expect_str_eq(databases, "", "shard %d: the emptied database is dropped", shard);
        free(databases);
    }
    cr_expect_eq(number(url, "SELECT toInt64(sum(revenue)) FROM mart.daily"), 70);
    cr_expect_eq(number(url, "SELECT toInt64(revenue) FROM mart.totals"), 70);
    cr_expect_eq(number(url, "SELECT toInt64(sum(amount)) FROM mart.order_log"), 215);
    char *cities_after = test_table_rows(url, "mart.cities", "city, customers");
    char *orders_after = test_table_rows(url, "staging.orders", "id, day, amount, customer_id");
    cr_expect_str_eq(cities_after, cities, "an unpromoted prod table is untouched");
    cr_expect_str_eq(orders_after, orders);
    for (int shard = 1; shard <= 2; shard++) {
        char *tables = tables_on_shard(shard, "mart__dev");
        cr_expect_str_eq(tables, "", "shard %d: dev holds nothing after promote: %s", shard, tables);
        free(tables);
        char sql[200];
        snprintf(sql, sizeof sql, "system.tables WHERE database = 'mart' AND name LIKE 'daily%%'");
        char port_url[200];
        snprintf(port_url, sizeof port_url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
        char *daily = test_table_rows(port_url, sql, "name, engine");
        cr_expect_str_eq(daily, "daily_shard|MergeTree\ndaily|Distributed\n", "shard %d: %s", shard, daily);
        free(daily);
    }
    cr_expect_eq(test_rows_on_shard(1, "mart.order_log") + test_rows_on_shard(2, "mart.order_log"), 3);
    output = martlet(0, directory, url, "diff", "--env dev");
    cr_expect(strstr(output, "holds no table of chflow") != NULL, "%s", output);
    free(output);
    output = martlet(0, directory, url, "plan", "--from 2024-05-01 --to 2024-05-02");
    cr_expect(strstr(output, "2024-05-02  success      3\n") != NULL, "the promoted run counts in prod: %s", output);
    cr_expect(strstr(output, "mart.order_log") != NULL, "2024-05-01 of order_log is still prod's old SQL: %s", output);
    free(output);
    /* env ls lists what dev holds on every server, env drop removes it everywhere (prod refused). */
    free(martlet(0, directory, url, "run", "--env dev --select cities --date 2024-05-02 --quiet"));
    output = martlet(0, directory, url, "env ls", "");
    cr_expect_str_eq(output, "dev: 1 table(s), 2 run(s) recorded as chflow__dev, 1 empty schema(s)\n"
                             "  mart__dev.cities                         table  2 rows\n");
    free(output);
    output = martlet(2, directory, url, "env drop", "prod");
    cr_expect(strstr(output, "prod is not an environment") != NULL, "%s", output);
    free(output);
    output = martlet(0, directory, url, "env drop", "dev");
    cr_expect_str_eq(output, "dropped environment dev of chflow: 1 table(s), 2 schema(s), 2 run record(s)\n");
    free(output);
    for (int shard = 1; shard <= 2; shard++) {
        char port_url[200];
        snprintf(port_url, sizeof port_url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
        char *databases = test_table_rows(port_url, "system.databases WHERE name LIKE '%\\_\\_dev'", "name");
        cr_expect_str_eq(databases, "", "shard %d: %s", shard, databases);
        free(databases);
    }
    cr_expect_eq(number(url, "SELECT count() FROM martlet.runs WHERE pipeline = 'chflow__dev'"), 0);
    cr_expect_eq(number(url, "SELECT count() FROM martlet.runs WHERE pipeline = 'chflow'"), 2, "prod's runs stay");
    output = martlet(0, directory, url, "env ls", "");
    cr_expect_str_eq(output, "chflow has no environments: prod only\n");
    free(output);
    free(cities);
    free(orders);
    free(cities_after);
    free(orders_after);
    test_remove_directory(directory);
    close(lock);
}

/* Regression: a source that declared a new column failed its load on
 * ClickHouse ("No such column channel in table orders__new_shard"): only
 * hash keys were added there. Now the column is added to every shard's
 * table and to the Distributed table on every server, and the load of a
 * file holding it succeeds. The same for an incremental model whose SELECT
 * appends a column; a model whose columns change otherwise is made anew. */
Test(clickhouse_workflow, a_source_or_incremental_model_gaining_a_column_gets_it_on_every_shard, .timeout = 300) {
    const char *url;
    int lock;
    char *directory = take_cluster_and_pipeline(&url, &lock);
    shell("cp -r " DATA " %s/data", directory);
    char arguments[700];
    snprintf(arguments, sizeof arguments, "--date 2024-05-01 --source-dir %s/data --quiet", directory);
    free(martlet(0, directory, url, "run", arguments));
    shell("sed -i 's|{\"name\": \"customer_id\", \"type\": \"integer\"}]}|{\"name\": \"customer_id\", \"type\": \"integer\"},"
          " {\"name\": \"channel\", \"type\": \"text\"}]}|' %s/chflow/pipeline.json", directory);
    shell("printf 'id,day,amount,customer_id,channel\\n1,2024-05-01,10.50,1,shop\\n2,2024-05-01,4.50,2,web\\n"
          "3,2024-05-02,20.00,1,shop\\n' > %s/data/orders.csv", directory);
    snprintf(arguments, sizeof arguments, "--date 2024-05-02 --source-dir %s/data", directory);
    char *output = martlet(0, directory, url, "run", arguments);
    cr_expect(strstr(output, "staging.orders                     read 3 = loaded 3 + rejected 0") != NULL, "%s", output);
    free(output);
    for (int shard = 1; shard <= 2; shard++) {
        char port_url[200];
        snprintf(port_url, sizeof port_url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
        char *columns = test_table_rows(port_url, "system.columns WHERE database = 'staging' AND name = 'channel'",
                                        "table, type");
        cr_expect_str_eq(columns, "orders_shard|Nullable(String)\norders|Nullable(String)\n", "shard %d: %s", shard,
                         columns);
        free(columns);
    }
    cr_expect_eq(number(url, "SELECT count() FROM staging.orders WHERE channel = 'shop'"), 2);

    /* An incremental model's SELECT gains a column at the end: added on every shard and the Distributed tables,
     * its other dates holding NULL until rebuilt (it failed before: "Number of columns doesn't match"). */
    shell("sed -i 's/SELECT day, id, amount FROM/SELECT day, id, amount, channel FROM/' %s/chflow/models/mart/order_log.sql",
          directory);
    snprintf(arguments, sizeof arguments, "--date 2024-05-02 --select order_log --source-dir %s/data", directory);
    free(martlet(0, directory, url, "run", arguments));
    for (int shard = 1; shard <= 2; shard++) {
        char port_url[200];
        snprintf(port_url, sizeof port_url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
        char *columns = test_table_rows(port_url, "system.columns WHERE database = 'mart' AND name = 'channel'",
                                        "table, type");
        cr_expect_str_eq(columns, "order_log_shard|Nullable(String)\norder_log|Nullable(String)\n", "shard %d: %s",
                         shard, columns);
        free(columns);
    }
    char *rows = test_table_rows(url, "mart.order_log", "id, day, channel");
    cr_expect_str_eq(rows, "1|2024-05-01|NULL\n2|2024-05-01|NULL\n3|2024-05-02|shop\n");
    free(rows);
    /* Any other change of its columns: the table is made anew with the run's dates. */
    shell("sed -i 's/SELECT day, id, amount, channel FROM/SELECT day, amount, id FROM/' %s/chflow/models/mart/order_log.sql",
          directory);
    free(martlet(0, directory, url, "run", arguments));
    rows = test_table_rows(url, "mart.order_log", "day, amount, id");
    cr_expect_str_eq(rows, "2024-05-02|20.00|3\n");
    free(rows);
    test_remove_directory(directory);
    close(lock);
}

/* The columns of a table on shard N's own server, in their order, "a,b,c". */
static char *columns_on_shard(int shard, const char *database, const char *table) {
    char url[200], sql[400];
    snprintf(url, sizeof url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
    snprintf(sql, sizeof sql, "(SELECT arrayStringConcat(groupArray(name), ',') AS names FROM system.columns"
                              " WHERE database = '%s' AND table = '%s')", database, table);
    return test_table_rows(url, sql, "names");
}

/* Regression: a model switched from table to view on a cluster left its
 * NAME_shard tables (and the Distributed table on the other servers)
 * behind. Now the view replaces the table on every server, answers the
 * same, and switched back the model is a sharded table again. */
Test(clickhouse_workflow, a_table_turned_view_and_back_leaves_no_shard_tables, .timeout = 300) {
    const char *url;
    int lock;
    char *directory = take_cluster_and_pipeline(&url, &lock);
    free(martlet(0, directory, url, "run", "--date 2024-05-01 --source-dir " DATA " --quiet"));
    cr_expect_eq(number(url, "SELECT toInt64(revenue) FROM mart.totals"), 35);
    shell("sed -i 's/^-- materialized: table/-- materialized: view/' %s/chflow/models/mart/totals.sql", directory);
    char *output = martlet(0, directory, url, "plan", "--from 2024-05-01 --to 2024-05-01");
    free(output);
    free(martlet(0, directory, url, "run", "--date 2024-05-01 --select totals --quiet"));
    for (int shard = 1; shard <= 2; shard++) {
        char port_url[200];
        snprintf(port_url, sizeof port_url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
        char *tables = test_table_rows(port_url, "system.tables WHERE database = 'mart' AND name LIKE 'totals%'",
                                       "name, engine");
        cr_expect_str_eq(tables, shard == 1 ? "totals|View\n" : "", "shard %d: %s", shard, tables);
        free(tables);
    }
    cr_expect_eq(number(url, "SELECT toInt64(revenue) FROM mart.totals"), 35, "the view answers");
    shell("sed -i 's/^-- materialized: view/-- materialized: table/' %s/chflow/models/mart/totals.sql", directory);
    free(martlet(0, directory, url, "run", "--date 2024-05-01 --select totals --quiet"));
    for (int shard = 1; shard <= 2; shard++) {
        char port_url[200];
        snprintf(port_url, sizeof port_url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
        char *tables = test_table_rows(port_url, "system.tables WHERE database = 'mart' AND name LIKE 'totals%'",
                                       "name, engine");
        cr_expect_str_eq(tables, "totals_shard|MergeTree\ntotals|Distributed\n", "shard %d: %s", shard, tables);
        free(tables);
    }
    cr_expect_eq(number(url, "SELECT toInt64(revenue) FROM mart.totals"), 35, "a table again");
    test_remove_directory(directory);
    close(lock);
}

/* Regression: a satellite whose model gained a column failed its insert on
 * ClickHouse (the table kept its columns). Now the column is added on
 * every shard's table and the Distributed tables, before effective_from
 * (which stays last, as the rows inserted carry it), old versions holding
 * NULL; a change that only adds no column (one removed) rebuilds the
 * satellite with the run's date. */
Test(clickhouse_workflow, a_satellite_gaining_a_column_gets_it_on_every_shard, .timeout = 300) {
    const char *url;
    int lock;
    char *directory = take_cluster_and_pipeline(&url, &lock);
    shell("printf -- '-- name: mart.s_order_info\\n-- materialized: satellite\\n-- parent_key: id\\n-- hashdiff: hashdiff\\n"
          "SELECT id, amount, toString(amount) AS hashdiff, '\\''{{ run_started_at }}'\\'' AS load_dt\\n"
          "FROM {{ staging }}.orders\\n' > %s/chflow/models/mart/s_order_info.sql", directory);
    free(martlet(0, directory, url, "run", "--date 2024-05-01 --source-dir " DATA " --quiet"));
    cr_expect_eq(number(url, "SELECT count() FROM mart.s_order_info"), 3);
    /* A column appended, and the hashdiff now covering it: every order gets a version on 2024-05-02. */
    shell("sed -i 's/toString(amount) AS hashdiff, \\(.*\\) AS load_dt$/concat(toString(amount), toString(day)) AS hashdiff,"
          " \\1 AS load_dt, day AS order_day/' %s/chflow/models/mart/s_order_info.sql", directory);
    free(martlet(0, directory, url, "run", "--date 2024-05-02 --select s_order_info --quiet"));
    for (int shard = 1; shard <= 2; shard++) {
        char *columns = columns_on_shard(shard, "mart", "s_order_info_shard");
        cr_expect_str_eq(columns, "id,amount,hashdiff,load_dt,order_day,effective_from\n", "shard %d: %s", shard, columns);
        free(columns);
        columns = columns_on_shard(shard, "mart", "s_order_info");
        cr_expect_str_eq(columns, "id,amount,hashdiff,load_dt,order_day,effective_from\n", "shard %d: %s", shard, columns);
        free(columns);
    }
    char *rows = test_table_rows(url, "mart.s_order_info", "id, order_day, effective_from");
    cr_expect_str_eq(rows, "1|2024-05-01|2024-05-02\n1|NULL|2024-05-01\n2|2024-05-01|2024-05-02\n2|NULL|2024-05-01\n"
                           "3|2024-05-02|2024-05-02\n3|NULL|2024-05-01\n", "%s", rows);
    free(rows);
    /* A column removed: not additive, the satellite is made anew with the run's date. */
    shell("sed -i 's/^SELECT id, amount, /SELECT id, /' %s/chflow/models/mart/s_order_info.sql", directory);
    free(martlet(0, directory, url, "run", "--date 2024-05-02 --select s_order_info --quiet"));
    rows = test_table_rows(url, "mart.s_order_info", "id, order_day, effective_from");
    cr_expect_str_eq(rows, "1|2024-05-01|2024-05-02\n2|2024-05-01|2024-05-02\n3|2024-05-02|2024-05-02\n", "%s", rows);
    free(rows);
    char *columns = columns_on_shard(2, "mart", "s_order_info_shard");
    cr_expect_str_eq(columns, "id,hashdiff,load_dt,order_day,effective_from\n", "%s", columns);
    free(columns);
    test_remove_directory(directory);
    close(lock);
}

/* Regression: a replace_dates source that declared a new column with a
 * default gave the old rows NULL on ClickHouse (the default was dropped
 * from the ADD COLUMN); DuckDB and PostgreSQL give them the default
 * (test_schema_evolution.c). Now every shard's table and the Distributed
 * tables get the column with its DEFAULT, so old rows read it. */
Test(clickhouse_workflow, old_rows_of_a_source_hold_a_new_columns_declared_default, .timeout = 300) {
    const char *url;
    int lock;
    char *directory = take_cluster_and_pipeline(&url, &lock);
    shell("cp -r " DATA " %s/data", directory);
    shell("sed -i 's|{\"table\": \"staging.orders\", \"file\": \"orders.csv\",|{\"table\": \"staging.orders\", \"file\":"
          " \"orders.csv\", \"load\": \"replace_dates\", \"date_column\": \"day\",|' %s/chflow/pipeline.json", directory);
    char arguments[700];
    snprintf(arguments, sizeof arguments, "--from 2024-05-01 --to 2024-05-02 --source-dir %s/data --quiet", directory);
    free(martlet(0, directory, url, "run", arguments));
    cr_expect_eq(number(url, "SELECT count() FROM staging.orders"), 3);
    shell("sed -i 's|{\"name\": \"customer_id\", \"type\": \"integer\"}]}|{\"name\": \"customer_id\", \"type\": \"integer\"},"
          " {\"name\": \"channel\", \"type\": \"text\", \"default\": \"web\"}]}|' %s/chflow/pipeline.json", directory);
    shell("printf 'id,day,amount,customer_id,channel\\n4,2024-05-03,7.00,2,shop\\n' > %s/data/orders.csv", directory);
    snprintf(arguments, sizeof arguments, "--date 2024-05-03 --source-dir %s/data --quiet", directory);
    free(martlet(0, directory, url, "run", arguments));
    char *rows = test_table_rows(url, "staging.orders", "id, day, channel");
    cr_expect_str_eq(rows, "1|2024-05-01|web\n2|2024-05-01|web\n3|2024-05-02|web\n4|2024-05-03|shop\n", "%s", rows);
    free(rows);
    for (int shard = 1; shard <= 2; shard++) {
        char port_url[200];
        snprintf(port_url, sizeof port_url, "clickhouse://127.0.0.1:%d/martlet", test_clickhouse_shard_port(shard));
        char *columns = test_table_rows(port_url, "system.columns WHERE database = 'staging' AND table LIKE 'orders%'"
                                                  " AND name = 'channel'", "table, default_kind");
        cr_expect_str_eq(columns, "orders_shard|DEFAULT\norders|DEFAULT\n", "shard %d: %s", shard, columns);
        free(columns);
    }
    test_remove_directory(directory);
    close(lock);
}
