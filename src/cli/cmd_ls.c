/* cmd_ls.c -- `martlet ls PIPELINE`: the selected tasks in run order, with
 * how each is materialized, its tags and dependencies. */
#include "../engine/select.h"
#include "../util/memory.h"
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ls_help[] =
    "usage: martlet ls PIPELINE [--select SEL] [--exclude SEL]\n"
    "\n"
    "Lists the pipeline's sources and models (the selection of them) in the\n"
    "order a run starts them: kind, materialization (a source's load), tags,\n"
    "dependencies -- declared or inferred from the SQL -- and data tests.\n"
    "\n"
    CLI_SELECT_HELP
    "  --pipelines DIR     folder holding the pipelines (default: ./pipelines)\n"
    "  -h, --help          show this help\n";

/* items joined by ", ", or "-" when there are none. */
static void print_list(char *const *items, size_t count, int width) {
    int used = 0;
    for (size_t i = 0; i < count; i++) used += printf("%s%s", i ? ", " : "", items[i]);
    if (count == 0) used = printf("-");
    if (width > used) printf("%*s", width - used, "");
}

/* martlet ls: one line per selected task. */
int cmd_ls(int argc, char **argv) {
    static const struct option long_options[] = {
        {"pipelines", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'}, CLI_SELECT_OPTIONS, {0, 0, 0, 0},
    };
    const char *pipelines = NULL, *selection = NULL, *exclusion = NULL;
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'p': pipelines = optarg; break;
        case 'e': selection = optarg; break;
        case 'x': exclusion = optarg; break;
        case 'h': fputs(ls_help, stdout); return EXIT_OK;
        default: return cli_option_error("ls", option, argv);
        }
    }
    if (optind + 1 != argc) return cli_usage_error("ls", "expected exactly one PIPELINE");
    struct pipeline *pipeline = NULL;
    bool *selected = NULL;
    int code = cli_load_pipeline(argv[optind], pipelines, &pipeline);
    if (code == EXIT_OK) code = cli_select(pipeline, selection, exclusion, &selected);
    size_t count = 0, *order = pipeline ? memory_calloc(select_task_count(pipeline) + 1, sizeof *order) : NULL;
    struct error err;
    if (code == EXIT_OK && select_order(pipeline, selected, order, &count, &err) != 0) code = cli_fail("%s", err.message);
    int name_width = 4;
    for (size_t i = 0; i < count && code == EXIT_OK; i++) {
        int length = (int)strlen(select_task_name(pipeline, order[i]));
        if (length > name_width) name_width = length;
    }
    if (code == EXIT_OK)
        printf("%-*s  %-6s  %-19s  %-16s  %-30s  %s\n", name_width, "task", "kind", "materialized", "tags", "depends_on",
               "tests");
    static const char *const loads[] = {[LOAD_REPLACE] = "replace", [LOAD_REPLACE_DATES] = "replace_dates",
                                        [LOAD_BATCH] = "batch"};
    for (size_t i = 0; i < count && code == EXIT_OK; i++) {
        size_t task = order[i];
        bool is_model = task >= pipeline->source_count;
        const struct model *model = is_model ? &pipeline->models[task - pipeline->source_count] : NULL;
        const struct source *source = is_model ? NULL : &pipeline->sources[task];
        printf("%-*s  %-6s  %-19s  ", name_width, select_task_name(pipeline, task), is_model ? "model" : "source",
               is_model ? materialization_name(model->materialized) : loads[source->load]);
        print_list(is_model ? model->tags : NULL, is_model ? model->tag_count : 0, 16);
        printf("  ");
        print_list(is_model ? model->depends_on : NULL, is_model ? model->depends_count : 0, 30);
        printf("  %zu\n", is_model ? model->test_count : source->test_count);
    }
    free(order);
    free(selected);
    pipeline_free(pipeline);
    return code;
}
