/* test_social.c -- the social pipeline end to end: the mart against an
 * independent count over the source files, reruns that change nothing,
 * newer files that add only what is new, orphans, the real samples. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"
#include "social_counts.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

struct social_fixture {
    char *directory;     /* temp folder: data/ and w.duckdb */
    char *data;
    char *url;           /* duckdb:<directory>/w.duckdb */
};

static void run_social(const struct social_fixture *fixture) {
    struct strbuf arguments;
    strbuf_init(&arguments);
    strbuf_printf(&arguments, "run social --date 2021-10-01 --source-dir %s --warehouse %s", fixture->data, fixture->url);
    char *output;
    cr_assert_eq(test_martlet_run(&output, "%s", strbuf_text(&arguments)), 0, "%s", output);
    free(output);
    strbuf_free(&arguments);
}

static struct social_fixture generated_fixture(void) {
    struct social_fixture fixture;
    fixture.directory = test_temp_directory();
    fixture.data = files_join(fixture.directory, "data");
    struct strbuf text;
    strbuf_init(&text);
    strbuf_printf(&text, "gen social --out %s --scale 0.01 --seed 11", fixture.data);
    char *output;
    cr_assert_eq(test_martlet_run(&output, "%s", strbuf_text(&text)), 0, "%s", output);
    free(output);
    strbuf_reset(&text);
    strbuf_printf(&text, "duckdb:%s/w.duckdb", fixture.directory);
    fixture.url = strbuf_detach(&text);
    return fixture;
}

static void fixture_free(struct social_fixture *fixture) {
    test_remove_directory(fixture->directory);
    free(fixture->data);
    free(fixture->url);
}

static struct warehouse *open_fixture(const struct social_fixture *fixture) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(fixture->url, &warehouse, &err), 0, "%s", err.message);
    return warehouse;
}

/* Compares every mart row with the independent count. */
static void expect_mart_matches_count(struct warehouse *warehouse, const char *data, bool check_messages) {
    size_t count;
    struct group_count *expected = social_count_groups(data, &count);
    struct warehouse_result *result;
    struct error err;
    cr_assert_eq(warehouse_query(warehouse,
                                 "SELECT group_id, cnt_added_users, cnt_users_in_group_with_messages,"
                                 " CAST(group_conversion AS TEXT), cnt_message_authors"
                                 " FROM mart.group_conversion ORDER BY group_id", &result, &err), 0, "%s", err.message);
    cr_assert_eq(result->row_count, count, "one mart row per group of groups.csv");
    for (size_t i = 0; i < count; i++) {
        const struct group_count *want = &expected[i];
        char ratio[16];
        social_format_ratio(want->converted, want->added, ratio);
        cr_expect_eq(atoll(warehouse_result_cell(result, i, 0)), want->group_id);
        cr_expect_eq(atoll(warehouse_result_cell(result, i, 1)), want->added, "group %lld added", (long long)want->group_id);
        if (!check_messages) continue;
        cr_expect_eq(atoll(warehouse_result_cell(result, i, 2)), want->converted, "group %lld converted", (long long)want->group_id);
        cr_expect_str_eq(warehouse_result_cell(result, i, 3), ratio, "group %lld conversion", (long long)want->group_id);
        cr_expect_eq(atoll(warehouse_result_cell(result, i, 4)), want->authors, "group %lld authors", (long long)want->group_id);
    }
    warehouse_result_free(result);
    free(expected);
}

Test(social, the_mart_matches_an_independent_count_for_every_group, .timeout = 180) {
    struct social_fixture fixture = generated_fixture();
    run_social(&fixture);
    struct warehouse *warehouse = open_fixture(&fixture);
    expect_mart_matches_count(warehouse, fixture.data, true);
    cr_expect_gt(test_query_integer(warehouse, "SELECT sum(cnt_users_in_group_with_messages) FROM mart.group_conversion"), 0,
                 "the data must exercise conversions, not only zeros");
    cr_expect_eq(test_query_integer(warehouse,
                                    "SELECT distinct_keys FROM dds.orphans WHERE problem = 'group_log user missing from users.csv'"),
                 social_count_orphan_users(fixture.data), "orphan users are counted, not dropped");
    warehouse_close(warehouse);
    fixture_free(&fixture);
}

/* count and content hash of every dds and mart table, in name order. */
static char *checksums(const struct social_fixture *fixture) {
    return test_checksums(fixture->url, "table_schema IN ('dds', 'mart')");
}

Test(social, rerunning_changes_no_table, .timeout = 240) {
    struct social_fixture fixture = generated_fixture();
    run_social(&fixture);
    char *first = checksums(&fixture);
    run_social(&fixture);
    run_social(&fixture);
    char *third = checksums(&fixture);
    cr_expect_str_eq(first, third, "row counts and content of dds and mart after one run and after three");
    free(first);
    free(third);
    fixture_free(&fixture);
}

static void append_line(const char *directory, const char *file, const char *line) {
    char *path = files_join(directory, file);
    FILE *handle = fopen(path, "a");
    cr_assert_not_null(handle);
    fputs(line, handle);
    fclose(handle);
    free(path);
}

Test(social, a_newer_file_adds_only_what_is_new, .timeout = 240) {
    struct social_fixture fixture = generated_fixture();
    run_social(&fixture);
    struct warehouse *warehouse = open_fixture(&fixture);
    int64_t history = test_query_integer(warehouse, "SELECT count(*) FROM dds.s_auth_history");
    int64_t links = test_query_integer(warehouse, "SELECT count(*) FROM dds.l_user_group_activity");
    int64_t users = test_query_integer(warehouse, "SELECT count(*) FROM dds.h_users");
    int64_t names = test_query_integer(warehouse, "SELECT count(*) FROM dds.s_group_name");
    warehouse_close(warehouse);
    /* user 5 joins group 3 twice more (a new pair, two events); the same
     * line repeated adds nothing; group 0 gets renamed. */
    append_line(fixture.data, "group_log.csv", "3,5,,add,2021-09-29 10:00:00\n3,5,,add,2021-09-29 10:00:00\n");
    append_line(fixture.data, "group_log.csv", "3,5,,leave,2021-09-29 11:00:00\n");
    char *groups = files_join(fixture.data, "groups.csv");
    char *text;
    struct error err;
    cr_assert_eq(files_read_all(groups, &text, &err), 0);
    char *first_row = strchr(text, '\n') + 1;
    char *comma = strchr(strchr(first_row, ',') + 1, ',');
    struct strbuf renamed;
    strbuf_init(&renamed);
    strbuf_append(&renamed, text, (size_t)(comma - text) + 1);
    strbuf_append_string(&renamed, "renamed group");
    strbuf_append_string(&renamed, strchr(comma + 1, ','));
    cr_assert_eq(files_write_all(groups, renamed.data, renamed.length, &err), 0);
    run_social(&fixture);
    warehouse = open_fixture(&fixture);
    int64_t already_linked = 0; /* was (5, 3) already a pair? then no new link */
    already_linked = test_query_integer(warehouse,
        "SELECT count(*) FROM staging.group_log WHERE user_id = 5 AND group_id = 3") > 3;
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM dds.s_auth_history"), history + 2);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM dds.l_user_group_activity"), links + (already_linked ? 0 : 1));
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM dds.h_users"), users);
    /* Both runs are for the same date: the renamed group's version of that
     * date is replaced (effective-dated satellites), not stacked on it. */
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM dds.s_group_name"), names,
                 "the date's version replaced");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM dds.s_group_name WHERE group_name = 'renamed group'"), 1);
    warehouse_close(warehouse);
    char *output;
    struct strbuf arguments;
    strbuf_init(&arguments);
    strbuf_printf(&arguments, "report social conversion --all --format csv --warehouse %s", fixture.url);
    cr_assert_eq(test_martlet_run(&output, "%s", strbuf_text(&arguments)), 0, "%s", output);
    cr_expect(strstr(output, "renamed group") != NULL, "the report shows the latest name");
    free(output);
    strbuf_free(&arguments);
    strbuf_free(&renamed);
    free(text);
    free(groups);
    fixture_free(&fixture);
}

/* dds.orphans is kept incrementally: once users.csv registers a user that
 * only group_log knew, the next run drops that key from the orphans, and the
 * orphan tables equal a fresh run's over the same files. */
Test(social, a_user_registered_later_leaves_the_orphans, .timeout = 240) {
    struct social_fixture fixture = generated_fixture();
    run_social(&fixture);
    const char *orphan_users = "SELECT distinct_keys FROM dds.orphans WHERE problem = 'group_log user missing from users.csv'";
    struct warehouse *warehouse = open_fixture(&fixture);
    int64_t before = test_query_integer(warehouse, orphan_users);
    int64_t user = test_query_integer(warehouse, "SELECT min(user_id) FROM staging.group_log AS log WHERE NOT EXISTS"
                                                 " (SELECT 1 FROM dds.h_users AS h WHERE h.hk_user_id = log.hk_user_id)");
    warehouse_close(warehouse);
    cr_assert_gt(before, 1, "the data must have orphan users");
    char line[128];
    snprintf(line, sizeof line, "%lld,registered later,2021-09-01 10:00:00,Russia,30\n", (long long)user);
    append_line(fixture.data, "users.csv", line);
    run_social(&fixture);
    warehouse = open_fixture(&fixture);
    cr_expect_eq(test_query_integer(warehouse, orphan_users), before - 1, "user %lld is registered now", (long long)user);
    warehouse_close(warehouse);
    struct social_fixture fresh = fixture;
    struct strbuf url;
    strbuf_init(&url);
    strbuf_printf(&url, "duckdb:%s/fresh.duckdb", fixture.directory);
    fresh.url = url.data;
    run_social(&fresh);
    const char *orphan_tables = "table_schema = 'dds' AND table_name LIKE 'orphans%'";
    char *kept = test_checksums_without(fixture.url, orphan_tables, "load_dt");
    char *rebuilt = test_checksums_without(fresh.url, orphan_tables, "load_dt");
    cr_expect_str_eq(kept, rebuilt, "the orphans kept run by run equal a fresh count");
    cr_expect(strstr(kept, "dds.orphans_keys=") != NULL, "%s", kept);
    free(kept);
    free(rebuilt);
    strbuf_free(&url);
    fixture_free(&fixture);
}

Test(social, real_groups_and_group_log_give_exact_membership_counts, .timeout = 180) {
    struct social_fixture fixture;
    fixture.directory = test_temp_directory();
    fixture.data = files_join(fixture.directory, "data");
    struct error err;
    cr_assert_eq(files_make_directories(fixture.data, &err), 0);
    char *groups = test_data_path("real/social_2021/groups.csv");
    char *group_log = test_data_path("real/social_2021/group_log_tail.csv");
    char *groups_copy = files_join(fixture.data, "groups.csv");
    char *log_copy = files_join(fixture.data, "group_log.csv");
    test_copy_file(groups, groups_copy);
    test_copy_file(group_log, log_copy);
    /* No public users or dialogs exist: header-only files. */
    free(test_write_file(fixture.data, "users.csv", "id,chat_name,registration_dt,country,age\n"));
    free(test_write_file(fixture.data, "dialogs.csv", "message_id,message_ts,message_from,message_to,message,message_group\n"));
    struct strbuf url;
    strbuf_init(&url);
    strbuf_printf(&url, "duckdb:%s/w.duckdb", fixture.directory);
    fixture.url = strbuf_detach(&url);
    run_social(&fixture);
    struct warehouse *warehouse = open_fixture(&fixture);
    expect_mart_matches_count(warehouse, fixture.data, false);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM mart.group_conversion"), 250);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM dds.s_auth_history"),
                 test_query_integer(warehouse, "SELECT count(*) FROM (SELECT DISTINCT user_id, group_id, event, datetime"
                                               " FROM staging.group_log) AS events"));
    warehouse_close(warehouse);
    free(groups);
    free(group_log);
    free(groups_copy);
    free(log_copy);
    fixture_free(&fixture);
}

Test(social, the_report_comes_in_every_format, .timeout = 180) {
    struct social_fixture fixture = generated_fixture();
    run_social(&fixture);
    const char *formats[] = {"table", "csv", "json", "svg"};
    const char *expected[] = {"Group conversion -- the 10 oldest groups", "group_id,group,registered",
                              "\"conversion_percent\":", "<svg xmlns="};
    for (size_t i = 0; i < 4; i++) {
        struct strbuf arguments;
        strbuf_init(&arguments);
        strbuf_printf(&arguments, "report social conversion --format %s --warehouse %s", formats[i], fixture.url);
        char *output;
        cr_assert_eq(test_martlet_run(&output, "%s", strbuf_text(&arguments)), 0, "%s", output);
        cr_expect(strstr(output, expected[i]) != NULL, "%s output lacks %s", formats[i], expected[i]);
        if (i == 1) {
            int lines = 0;
            for (const char *p = output; *p; p++) lines += *p == '\n';
            cr_expect_eq(lines, 11, "header and the 10 oldest groups");
        }
        free(output);
        strbuf_free(&arguments);
    }
    struct warehouse *warehouse = open_fixture(&fixture);
    cr_expect_eq(test_query_integer(warehouse, "SELECT sum(members_joined) FROM mart.conversion_by_cohort"),
                 test_query_integer(warehouse, "SELECT count(*) FROM (SELECT DISTINCT group_id, user_id FROM staging.group_log"
                                               " WHERE event = 'add') AS memberships"), "every membership is in one cohort");
    warehouse_close(warehouse);
    fixture_free(&fixture);
}

/* A hub's first load (its table empty) inserts without probing the table for
 * its keys, and every later load keeps the NOT EXISTS probe: compile shows both,
 * the first without the probe. (rerunning_changes_no_table runs both for real.) */
Test(social, a_hub_s_first_load_skips_the_key_probe) {
    char *output;
    cr_assert_eq(test_martlet_run(&output, "compile social --select dds.h_dialogs --date 2021-10-01"), 0, "%s", output);
    const char *first = strstr(output, "-- when the table is empty (its first load):\nINSERT INTO dds.h_dialogs ");
    const char *otherwise = first ? strstr(first, "-- otherwise:\nINSERT INTO dds.h_dialogs ") : NULL;
    cr_assert(first != NULL && otherwise != NULL, "%s", output);
    const char *probe = strstr(first, "NOT EXISTS (SELECT 1 FROM dds.h_dialogs AS existing");
    cr_expect(probe != NULL && probe > otherwise, "the probe only after otherwise: %s", output);
    cr_expect(strstr(first, ") AS model WHERE model.hk_message_id IS NOT NULL;") != NULL &&
                  strstr(first, ") AS model WHERE model.hk_message_id IS NOT NULL;") < otherwise,
              "the first load still drops NULL keys: %s", output);
    free(output);
}
