/* test_data_tests_threads.c -- data tests are parsed on the run's worker
 * threads, several at once: parsing one must not disturb another.
 *
 * Regression: the lists of a test ("not_null(hk_group_id, group_id)")
 * were split with strtok, whose position is one hidden variable shared by
 * every thread. Two workers testing their models at once (dds.h_groups and
 * dds.h_users, each with a two-column not_null) continued each other's
 * lists: a column left out of a test, the other task's column in it, or
 * bytes of a dead stack frame -- seen once in a full suite run as
 * "dds.h_groups: ... syntax error at or near " "" on PostgreSQL. */
#include "../src/engine/data_tests.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The SQL data_tests_sql renders for one test of relation. */
static char *rendered(const char *test, const char *relation) {
    char *tests[] = {(char *)test};
    struct data_tests_target target = {tests, 1, false, relation, "2021-10-01"};
    struct strbuf sql;
    strbuf_init(&sql);
    struct error err;
    cr_assert_eq(data_tests_sql(NULL, &target, &sql, &err), 0, "%s: %s", test, err.message);
    return strbuf_detach(&sql);
}

/* The interleaving two threads made, forced on one: a list is half split
 * (strtok here stands for the other thread's tokenizing) when tests with
 * lists of every kind are parsed; the list then goes on where it was. */
Test(data_tests, parsing_a_test_leaves_a_list_half_split_elsewhere_alone) {
    const char *tests[] = {"not_null(hk_group_id, group_id)", "unique(hk_l_user_group_activity, event, event_dt)",
                           "accepted_values(event: create | add | leave)", "row_count(min=1, max=1000000)"};
    for (size_t i = 0; i < sizeof tests / sizeof *tests; i++) {
        char elsewhere[] = "hk_user_id, user_id";
        char *first = strtok(elsewhere, ",");
        cr_assert_str_eq(first, "hk_user_id");
        char *sql = rendered(tests[i], "dds.h_groups");
        char *second = strtok(NULL, ",");
        cr_expect(second != NULL && strcmp(second, " user_id") == 0,
                  "parsing %s moved the other list's position: its next item is not ' user_id'", tests[i]);
        free(sql);
    }
}

/* One worker's test, its expected SQL and how many renderings differed. */
struct rendering {
    const char *test, *relation;
    char *expected;
    long wrong;
    char first_wrong[400];
};

enum { RENDERINGS_PER_THREAD = 20000 };

/* Renders the worker's test again and again, counting wrong texts. */
static void *render_repeatedly(void *argument) {
    struct rendering *rendering = argument;
    char *tests[] = {(char *)rendering->test};
    struct data_tests_target target = {tests, 1, false, rendering->relation, "2021-10-01"};
    struct strbuf sql;
    strbuf_init(&sql);
    for (long i = 0; i < RENDERINGS_PER_THREAD; i++) {
        strbuf_reset(&sql);
        struct error err;
        int status = data_tests_sql(NULL, &target, &sql, &err);
        const char *text = status == 0 ? strbuf_text(&sql) : err.message;
        if (status != 0 || strcmp(text, rendering->expected) != 0) {
            if (rendering->wrong++ == 0) snprintf(rendering->first_wrong, sizeof rendering->first_wrong, "%s", text);
        }
    }
    strbuf_free(&sql);
    return NULL;
}

/* Two workers testing the social pipeline's hubs at once, as a run does:
 * each renders exactly its own columns every time. */
Test(data_tests, workers_rendering_tests_at_once_each_get_their_own_columns, .timeout = 120) {
    struct rendering renderings[] = {{"not_null(hk_group_id, group_id)", "dds.h_groups", NULL, 0, ""},
                                     {"not_null(hk_user_id, user_id)", "dds.h_users", NULL, 0, ""}};
    for (size_t i = 0; i < 2; i++) renderings[i].expected = rendered(renderings[i].test, renderings[i].relation);
    cr_assert(strstr(renderings[0].expected, "hk_group_id IS NULL OR group_id IS NULL") != NULL, "%s",
              renderings[0].expected);
    pthread_t threads[2];
    for (size_t i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&threads[i], NULL, render_repeatedly, &renderings[i]), 0);
    for (size_t i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    for (size_t i = 0; i < 2; i++) {
        cr_expect_eq(renderings[i].wrong, 0, "%s: %ld of %d renderings wrong, e.g. %s", renderings[i].test,
                     renderings[i].wrong, RENDERINGS_PER_THREAD, renderings[i].first_wrong);
        free(renderings[i].expected);
    }
}

/* strtok keeps its position in one variable for the whole process, and
 * gmtime and localtime return one static struct tm: martlet runs tasks,
 * HTTP requests and loads on threads, so library code calls their _r
 * forms. (A call is the name followed by '(' and not preceded by a letter,
 * a digit or '_', so strtok_r( and my_gmtime( are not matches.) */
Test(data_tests, no_library_code_calls_a_non_reentrant_libc_function) {
    char *output;
    int status = test_run_command("grep -rnE --include='*.c' '(^|[^A-Za-z0-9_])(strtok|gmtime|localtime)\\(' src",
                                  &output);
    cr_expect_eq(status, 1, "non-reentrant calls in src/ (use strtok_r, gmtime_r, localtime_r):\n%s", output);
    free(output);
}
