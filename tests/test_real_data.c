/* test_real_data.c -- the real public exports load exactly, through the
 * social pipeline's own source declarations. */
#include "../src/engine/pipeline.h"
#include "../src/loader/loader.h"
#include "../src/util/files.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <string.h>

static void load_real(struct warehouse *warehouse, const char *table, const char *relative_path,
                      struct load_stats *stats) {
    struct pipeline *pipeline;
    struct error err;
    cr_assert_eq(pipeline_load("pipelines/social", &pipeline, &err), 0, "%s", err.message);
    const struct source *source = NULL;
    for (size_t i = 0; i < pipeline->source_count; i++)
        if (strcmp(pipeline->sources[i].name, table) == 0) source = &pipeline->sources[i];
    cr_assert_not_null(source);
    struct load_target target = {.schema = "staging", .table = source->table, .columns = source->columns, .column_count = source->column_count};
    char *path = test_data_path(relative_path);
    cr_assert(files_exists(path), "real sample %s is missing", path);
    struct load_options options = {.path = path, .source_name = source->file, .delimiter = ',', .quote = '"', .header = true, .max_rejects = 0};
    cr_assert_eq(loader_prepare_tables(warehouse, &target, &err), 0, "%s", err.message);
    cr_assert_eq(loader_load_file(warehouse, &target, &options, stats, &err), 0, "%s", err.message);
    free(path);
    pipeline_free(pipeline);
}

Test(real_data, groups_load_completely) {
    struct warehouse *warehouse = test_open_memory();
    struct load_stats stats;
    load_real(warehouse, "staging.groups", "real/social_2021/groups.csv", &stats);
    cr_expect_eq(stats.rows_read, 250);
    cr_expect_eq(stats.rows_loaded, 250);
    cr_expect_eq(stats.rows_rejected, 0);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(DISTINCT id) FROM staging.groups"), 250);
    cr_expect_eq(test_query_integer(warehouse,
                                    "SELECT count(*) FROM staging.groups WHERE microsecond(registration_dt) % 1000000 = 0"),
                 38, "38 rows have no fraction");
    warehouse_close(warehouse);
}

Test(real_data, group_log_tail_loads_completely_with_its_dirt) {
    struct warehouse *warehouse = test_open_memory();
    struct load_stats stats;
    load_real(warehouse, "staging.group_log", "real/social_2021/group_log_tail.csv", &stats);
    cr_expect_eq(stats.rows_read, 88967);
    cr_expect_eq(stats.rows_loaded, 88967);
    cr_expect_eq(stats.rows_rejected, 0);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM staging.group_log WHERE user_id_from = user_id"), 758,
                 "self-invites survive loading");
    cr_expect_eq(test_query_integer(warehouse,
                                    "SELECT count(*) FROM staging.group_log WHERE event NOT IN ('create', 'add', 'leave')"), 0);
    warehouse_close(warehouse);
}
