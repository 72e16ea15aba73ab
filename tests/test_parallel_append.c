/* test_parallel_append.c -- warehouse_append_parallel: batches made on
 * several threads land in one statement of the open transaction, on DuckDB
 * (its table function) and PostgreSQL (COPY on one thread). */
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const struct column columns[] = {
    {.name = "id", .type = COLUMN_INTEGER},
    {.name = "label", .type = COLUMN_TEXT},
};

/* Hands out rows 0..total-1 in batches of up to 1000, to any thread. */
struct counting_producer {
    pthread_mutex_t lock;
    int64_t next_row, total, fail_at;
    int threads_started, threads_finished;
};

struct counting_thread {
    struct batch *batch;
};

static void *counting_start(void *context) {
    struct counting_producer *producer = context;
    pthread_mutex_lock(&producer->lock);
    producer->threads_started++;
    pthread_mutex_unlock(&producer->lock);
    struct counting_thread *thread = calloc(1, sizeof *thread);
    thread->batch = batch_create(columns, 2, 3000);
    return thread;
}

static int counting_next(void *context, void *thread_state, const struct batch **out, struct error *err) {
    struct counting_producer *producer = context;
    struct counting_thread *thread = thread_state;
    pthread_mutex_lock(&producer->lock);
    int64_t first = producer->next_row, count = producer->total - first < 3000 ? producer->total - first : 3000;
    producer->next_row += count;
    pthread_mutex_unlock(&producer->lock);
    if (producer->fail_at >= 0 && first >= producer->fail_at) return error_set(err, "line %lld: broken on purpose", (long long)first);
    if (count <= 0) return 0;
    struct batch *batch = thread->batch;
    batch_reset(batch);
    for (int64_t row = 0; row < count; row++) {
        char label[32];
        int length = snprintf(label, sizeof label, "row number %lld", (long long)(first + row));
        batch->data[0].numbers[row] = first + row;
        batch->data[0].is_null[row] = 0;
        batch->data[1].text_offset[row] = (uint32_t)batch->text.length;
        batch->data[1].text_length[row] = (uint32_t)length;
        batch->data[1].is_null[row] = (first + row) % 7 == 0;
        strbuf_append(&batch->text, label, (size_t)length);
    }
    batch->row_count = (size_t)count;
    *out = batch;
    return 1;
}

static void counting_finish(void *context, void *thread_state) {
    struct counting_producer *producer = context;
    struct counting_thread *thread = thread_state;
    pthread_mutex_lock(&producer->lock);
    producer->threads_finished++;
    pthread_mutex_unlock(&producer->lock);
    batch_free(thread->batch);
    free(thread);
}

static void check_parallel_append(const char *url) {
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_create_schema(warehouse, "staging", &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_create_table(warehouse, "staging", "counted", columns, 2, &err), 0, "%s", err.message);
    struct counting_producer state = {.total = 100000, .fail_at = -1};
    pthread_mutex_init(&state.lock, NULL);
    struct warehouse_producer producer = {&state, 2, counting_start, counting_next, counting_finish};

    cr_assert_eq(warehouse_begin(warehouse, &err), 0, "%s", err.message);
    cr_assert_eq(warehouse_append_parallel(warehouse, "staging", "counted", columns, 2, &producer, &err), 0, "%s",
                 err.message);
    cr_assert_eq(warehouse_commit(warehouse, &err), 0, "%s", err.message);
    cr_expect_geq(state.threads_started, 1);
    cr_expect_eq(state.threads_started, state.threads_finished, "every producer thread was finished");
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.counted"), 100000);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(DISTINCT id) FROM staging.counted"), 100000);
    cr_expect_eq(test_query_integer(warehouse, "SELECT sum(id) FROM staging.counted"), 100000LL * 99999 / 2);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.counted WHERE label IS NULL"), 14286);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.counted"
                                               " WHERE label <> 'row number ' || CAST(id AS TEXT)"), 0);

    /* A producer's failure fails the load with its own message; the
     * rollback leaves the table as it was. */
    state.next_row = 0;
    state.fail_at = 50000;
    cr_assert_eq(warehouse_begin(warehouse, &err), 0, "%s", err.message);
    cr_expect_eq(warehouse_append_parallel(warehouse, "staging", "counted", columns, 2, &producer, &err), -1);
    cr_expect(strstr(err.message, "broken on purpose") != NULL, "%s", err.message);
    warehouse_rollback(warehouse);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.counted"), 100000);
    cr_expect_eq(state.threads_started, state.threads_finished);
    if (strcmp(warehouse_dialect(warehouse), "duckdb") == 0) {
        char *order = test_query_text(warehouse, "SELECT current_setting('preserve_insertion_order')");
        cr_expect_str_eq(order, "true", "the session's insertion order is back after the failed load");
        free(order);
    }
    pthread_mutex_destroy(&state.lock);
    warehouse_close(warehouse);
}

Test(parallel_append, batches_from_several_threads_land_in_one_transaction_on_duckdb) {
    char *directory = test_temp_directory(), url[600];
    snprintf(url, sizeof url, "duckdb:%s/w.duckdb", directory);
    check_parallel_append(url);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    char *value = NULL;
    cr_expect_eq(warehouse_query_value(warehouse, "SELECT * FROM martlet_batches(12345)", &value, &err), -1);
    cr_expect(strstr(err.message, "serves martlet's own loads only") != NULL, "%s", err.message);
    warehouse_close(warehouse);
    test_remove_directory(directory);
}

Test(parallel_append, batches_from_the_producer_land_in_one_copy_on_postgres) {
    char *url;
    NEED_POSTGRES(url);
    check_parallel_append(url);
    free(url);
}
