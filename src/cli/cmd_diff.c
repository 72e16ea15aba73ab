/* cmd_diff.c -- `martlet diff PIPELINE --env NAME`: how an environment's
 * tables differ from prod's (table_diff.h). Exit 0 when every compared
 * table is equal, 1 when one differs, 2 when the comparison could not be
 * made (or a usage error), as diff(1) does. */
#include "../engine/environment.h"
#include "../engine/select.h"
#include "../engine/table_diff.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../util/strbuf.h"
#include "../util/table.h"
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char diff_help[] =
    "usage: martlet diff PIPELINE [TABLE...] --env NAME [--select SEL] [--exclude SEL] [--key COLUMNS]\n"
    "                    [--sample N] [--warehouse URL]\n"
    "\n"
    "Compares tables of environment NAME (<schema>__NAME) with prod's: row counts,\n"
    "keys only on one side, and rows with the same key whose values differ -- how\n"
    "many per column, with a sample. The key is the model's grain: its unique_key,\n"
    "a satellite's parent_key and effective_from, the columns of its unique(...)\n"
    "test, a source's deduplicate_on; without one (or when it repeats or holds\n"
    "NULL) whole rows are compared. Without TABLE or --select, every table the\n"
    "environment holds is compared. Exit 0 when all are equal, 1 when one differs,\n"
    "2 when they could not be compared.\n"
    "\n"
    "  TABLE               tables to compare (as --select takes them: f_sales, mart.f_sales)\n"
    CLI_SELECT_HELP
    "  --env NAME          the environment to compare with prod (required)\n"
    "  --key COLUMNS       match rows by these columns (comma separated) instead of the model's key\n"
    "  --sample N          rows shown of each kind of difference (default 5)\n"
    "  --warehouse URL     duckdb:FILE or postgres://... (default: $MARTLET_WAREHOUSE)\n"
    "  --pipelines DIR     folder holding the pipelines (default: ./pipelines)\n"
    "  -h, --help          show this help\n";

struct diff_options {
    const char *warehouse, *pipelines, *exclusion, *environment, *key;
    struct strbuf selection;    /* --select and the TABLE arguments */
    bool selected;
    size_t sample;
};

/* Reads the options; -1 after --help, else 0 or a usage error's code. */
static int parse(int argc, char **argv, struct diff_options *options) {
    static const struct option long_options[] = {
        {"warehouse", required_argument, 0, 'w'}, {"pipelines", required_argument, 0, 'p'},
        {"key", required_argument, 0, 'k'}, {"sample", required_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'}, CLI_SELECT_OPTIONS, CLI_ENV_OPTION, {0, 0, 0, 0},
    };
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        char *end;
        switch (option) {
        case 'w': options->warehouse = optarg; break;
        case 'p': options->pipelines = optarg; break;
        case 'k': options->key = optarg; break;
        case 'E': options->environment = optarg; break;
        case 'x': options->exclusion = optarg; break;
        case 'e':
            strbuf_printf(&options->selection, "%s ", optarg);
            options->selected = true;
            break;
        case 'n': {
            long sample = strtol(optarg, &end, 10);
            if (*end || end == optarg || sample < 0 || sample > 1000)
                return cli_usage_error("diff", "--sample needs a number from 0 to 1000");
            options->sample = (size_t)sample;
            break;
        }
        case 'h': fputs(diff_help, stdout); return -1;
        default: return cli_option_error("diff", option, argv);
        }
    }
    if (optind >= argc) return cli_usage_error("diff", "expected a PIPELINE");
    for (int i = optind + 1; i < argc; i++) {
        strbuf_printf(&options->selection, "%s ", argv[i]);
        options->selected = true;
    }
    if (options->environment == NULL) return cli_usage_error("diff", "--env NAME is required: the environment to compare");
    if (strcmp(options->environment, ENVIRONMENT_PROD) == 0)
        return cli_usage_error("diff", "--env prod compares prod with itself: name another environment");
    return cli_check_environment("diff", options->environment);
}

/* Splits --key's comma separated columns (checked names) into a list. */
static int parse_key(const char *text, char ***key, size_t *count) {
    *key = NULL;
    *count = 0;
    for (const char *cursor = text; *cursor;) {
        size_t length = strcspn(cursor, ", ");
        if (length > 0) {
            char *column = memory_strndup(cursor, length);
            *key = memory_realloc(*key, (*count + 1) * sizeof **key);
            (*key)[(*count)++] = column;
            if (!identifier_is_valid(column)) return cli_usage_error("diff", "--key: '%s' is not a column name", column);
        }
        cursor += length;
        cursor += strspn(cursor, ", ");
    }
    return *count ? 0 : cli_usage_error("diff", "--key needs at least one column");
}

static void free_key(char **key, size_t count) {
    for (size_t i = 0; i < count; i++) free(key[i]);
    free(key);
}

/* The columns of a unique(...) test: "unique(a, b)" -> [a, b]. */
static size_t unique_test_columns(const char *test, char ***key) {
    if (strncmp(test, "unique(", 7) != 0) return 0;
    char **columns = NULL;
    size_t count = 0;
    const char *cursor = test + 7, *end = strchr(cursor, ')');
    while (end && cursor < end) {
        cursor += strspn(cursor, ", ");
        size_t length = strcspn(cursor, ", )");
        if (length == 0) break;
        columns = memory_realloc(columns, (count + 1) * sizeof *columns);
        columns[count++] = memory_strndup(cursor, length);
        cursor += length;
    }
    *key = columns;
    return count;
}

/* The grain of task `task` from its declaration, and where it came from. */
static size_t declared_key(const struct pipeline *pipeline, size_t task, char ***key, const char **origin) {
    *key = NULL;
    *origin = NULL;
    if (task < pipeline->source_count) {
        const struct source *source = &pipeline->sources[task];
        if (source->deduplicate_on == NULL) return 0;
        *key = memory_calloc(1, sizeof **key);
        (*key)[0] = memory_strdup(source->deduplicate_on);
        *origin = "its deduplicate_on";
        return 1;
    }
    const struct model *model = &pipeline->models[task - pipeline->source_count];
    size_t count = 0;
    if (model->unique_key_count > 0) {
        *key = memory_calloc(model->unique_key_count, sizeof **key);
        for (; count < model->unique_key_count; count++) (*key)[count] = memory_strdup(model->unique_key[count]);
        *origin = "its unique_key";
    } else if (model->materialized == MATERIALIZE_SATELLITE) {
        *key = memory_calloc(2, sizeof **key);
        (*key)[count++] = memory_strdup(model->parent_key);
        (*key)[count++] = memory_strdup("effective_from");
        *origin = "its parent_key and effective_from";
    } else {
        for (size_t i = 0; i < model->test_count && count == 0; i++) count = unique_test_columns(model->tests[i], key);
        if (count) *origin = "its unique test";
    }
    return count;
}

/* A cell as shown: NULL for SQL NULL. */
static const char *shown(const struct warehouse_result *result, size_t row, size_t column) {
    const char *cell = warehouse_result_cell(result, row, column);
    return cell ? cell : "NULL";
}

/* Whether two cells hold the same value (both NULL included). */
static bool same_cell(const char *a, const char *b) {
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* The sample of changed rows: the key, then each column that differs, prod -> environment. */
static void print_changed_sample(const struct table_diff *diff, size_t key_count, char *const *key) {
    const struct warehouse_result *sample = diff->changed_sample;
    printf("  sample of changed rows (%zu of %" PRId64 "):\n", sample->row_count, diff->changed);
    for (size_t row = 0; row < sample->row_count; row++) {
        printf("    ");
        for (size_t k = 0; k < key_count; k++) printf("%s%s=%s", k ? ", " : "", key[k], shown(sample, row, k));
        printf(":");
        for (size_t c = 0; c < diff->column_count; c++) {
            size_t left = key_count + 2 * c;
            if (same_cell(warehouse_result_cell(sample, row, left), warehouse_result_cell(sample, row, left + 1))) continue;
            printf(" %s %s -> %s;", diff->columns[c].column, shown(sample, row, left), shown(sample, row, left + 1));
        }
        printf("\n");
    }
}

/* Prints how one table differs. */
static void print_diff(const char *name, const struct table_diff *diff, const char *environment, char *const *key,
                       size_t key_count, const char *origin) {
    const char *unit = diff->keyed ? "key(s)" : "row(s)";
    printf("%s: ", name);
    if (diff->keyed) {
        for (size_t i = 0; i < key_count; i++) printf("%s%s", i ? ", " : "key ", key[i]);
        printf(" (%s)\n", origin);
    } else {
        printf("%s\n", diff->note[0] ? diff->note : "no key: whole rows compared");
    }
    printf("  rows            prod %-12" PRId64 " %s %" PRId64 "%s\n", diff->left_rows, environment, diff->right_rows,
           diff->left_exists ? "" : "   (prod has no such table)");
    for (size_t i = 0; i < diff->only_left_count; i++) printf("  column only in prod: %s\n", diff->columns_only_left[i]);
    for (size_t i = 0; i < diff->only_right_count; i++)
        printf("  column only in %s: %s\n", environment, diff->columns_only_right[i]);
    if (!diff->left_exists) return;
    printf("  only in prod    %" PRId64 " %s\n", diff->only_left, unit);
    printf("  only in %-7s %" PRId64 " %s\n", environment, diff->only_right, unit);
    if (diff->keyed) {
        printf("  changed         %" PRId64 " row(s) with the same key and other values\n", diff->changed);
        for (size_t i = 0; i < diff->column_count; i++)
            if (diff->columns[i].rows > 0)
                printf("    %-24s %" PRId64 " row(s)%s\n", diff->columns[i].column, diff->columns[i].rows,
                       diff->columns[i].type_changed ? " (its type changed: compared as text)" : "");
    }
    if (diff->changed_sample && diff->changed_sample->row_count) print_changed_sample(diff, key_count, key);
    if (diff->only_left_sample && diff->only_left_sample->row_count) {
        printf("  sample only in prod:\n");
        table_print(stdout, diff->only_left_sample);
    }
    if (diff->only_right_sample && diff->only_right_sample->row_count) {
        printf("  sample only in %s:\n", environment);
        table_print(stdout, diff->only_right_sample);
    }
}

/* Compares one task's table; 1 when it differs, 0 when equal, -1 on error. */
static int diff_task(struct warehouse *warehouse, const struct pipeline *pipeline, size_t task,
                     const struct diff_options *options, char *const *given_key, size_t given_count, struct error *err) {
    const char *name = select_task_name(pipeline, task), *schema_key, *table;
    environment_task_table(pipeline, task, &schema_key, &table);
    bool built = false;
    if (environment_table_exists(warehouse, pipeline_schema(pipeline, schema_key), table, &built, err) != 0) return -1;
    if (!built) { /* the environment reads prod's table: nothing to tell apart */
        printf("%s: not built in %s, which reads prod's\n  equal\n", name, options->environment);
        return 0;
    }
    char **declared = NULL;
    const char *origin = "--key";
    size_t declared_count = given_key ? 0 : declared_key(pipeline, task, &declared, &origin);
    struct table_diff_request request = {environment_prod_schema(pipeline, schema_key), pipeline_schema(pipeline, schema_key),
                                         table, given_key ? given_key : declared,
                                         given_key ? given_count : declared_count, options->sample};
    struct table_diff diff;
    int status = table_diff_compare(warehouse, &request, &diff, err);
    if (status == 0) {
        print_diff(name, &diff, options->environment, request.key, request.key_count, origin);
        printf("  %s\n", diff.differs ? "differs" : "equal");
        status = diff.differs ? 1 : 0;
    }
    table_diff_free(&diff);
    free_key(declared, declared_count);
    return status;
}

/* The tasks to compare: the selection, or every table the environment holds. */
static int tasks_to_compare(struct warehouse *warehouse, const struct pipeline *pipeline, const struct diff_options *options,
                            size_t *order, size_t *count) {
    bool *selected = NULL;
    int code = cli_select(pipeline, options->selected ? strbuf_text(&options->selection) : NULL, options->exclusion,
                          &selected);
    struct error err;
    size_t all = 0;
    if (code == EXIT_OK && select_order(pipeline, selected, order, &all, &err) != 0) code = cli_fail("%s", err.message);
    *count = 0;
    for (size_t i = 0; i < all && code == EXIT_OK; i++) {
        bool present = true;
        const char *schema_key, *table;
        environment_task_table(pipeline, order[i], &schema_key, &table);
        if (!options->selected &&
            environment_table_exists(warehouse, pipeline_schema(pipeline, schema_key), table, &present, &err) != 0)
            code = cli_fail("%s", err.message);
        if (present) order[(*count)++] = order[i];
    }
    free(selected);
    return code;
}

/* martlet diff: each table compared, then a summary line. */
int cmd_diff(int argc, char **argv) {
    struct diff_options options = {.sample = 5};
    strbuf_init(&options.selection);
    int parsed = parse(argc, argv, &options);
    char **key = NULL;
    size_t key_count = 0;
    if (parsed == 0 && options.key) parsed = parse_key(options.key, &key, &key_count);
    if (parsed != 0) {
        strbuf_free(&options.selection);
        free_key(key, key_count);
        return parsed < 0 ? EXIT_OK : parsed;
    }
    struct pipeline *pipeline = NULL;
    struct warehouse *warehouse = NULL;
    int code = cli_load_pipeline(argv[optind], options.pipelines, &pipeline);
    if (code == EXIT_OK) code = cli_apply_environment(pipeline, options.environment);
    if (code == EXIT_OK) code = cli_open_warehouse(cli_warehouse_url(options.warehouse), &warehouse);
    size_t *order = pipeline ? memory_calloc(select_task_count(pipeline) + 1, sizeof *order) : NULL, count = 0;
    if (code == EXIT_OK) code = tasks_to_compare(warehouse, pipeline, &options, order, &count);
    size_t differ = 0;
    struct strbuf differing;
    strbuf_init(&differing);
    for (size_t i = 0; i < count && code == EXIT_OK; i++) {
        struct error err;
        int status = diff_task(warehouse, pipeline, order[i], &options, key, key_count, &err);
        if (status < 0) code = cli_fail("%s", err.message);
        if (status == 1) strbuf_printf(&differing, "%s%s", differ++ ? ", " : "", select_task_name(pipeline, order[i]));
    }
    if (code == EXIT_OK && count == 0)
        printf("diff: environment %s holds no table of %s: nothing to compare\n", options.environment, pipeline->name);
    else if (code == EXIT_OK)
        printf("diff: %zu table(s) compared, %zu differ%s%s\n", count, differ, differ ? ": " : "", strbuf_text(&differing));
    strbuf_free(&differing);
    strbuf_free(&options.selection);
    free_key(key, key_count);
    free(order);
    warehouse_close(warehouse);
    pipeline_free(pipeline);
    if (code != EXIT_OK) return EXIT_USAGE; /* 1 means "differs": trouble is 2, as in diff(1) */
    return differ ? EXIT_FAILURE_RUN : EXIT_OK;
}
