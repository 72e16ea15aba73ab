/* load_bench.c -- martlet's validated CSV load next to DuckDB's own reader.
 *
 * usage: load_bench PIPELINE_DIR SOURCE_TABLE FILE
 *
 * Each contender runs in a child process (so peak RSS is its own) on a
 * fresh DuckDB file in /tmp (as a real warehouse would be), three times;
 * the best time counts:
 *   martlet load     tokenizer + validation + typed append + rejects table
 *   duckdb count     SELECT count(*) FROM read_csv(FILE)   (the baseline)
 *   duckdb load      CREATE TABLE AS SELECT * FROM read_csv(FILE)
 * Prints MB/s, rows/s, peak RSS and the ratios. Not a test: never asserts.
 * In-process figures, for profiling the loader; bench/load.sh compares
 * whole processes. */
#include "../src/engine/pipeline.h"
#include "../src/loader/loader.h"
#include "../src/util/clock.h"
#include "../src/util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct measurement {
    double seconds;
    long peak_rss_kb;
    long long rows;
};

/* A new, empty DuckDB file for one measurement. */
static int open_fresh(struct warehouse **warehouse, struct error *err) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/martlet-bench-%d.duckdb", (int)getpid());
    unlink(path);
    char wal[80];
    snprintf(wal, sizeof wal, "%s.wal", path);
    unlink(wal);
    char url[80];
    snprintf(url, sizeof url, "duckdb:%s", path);
    int status = warehouse_open(url, warehouse, err);
    if (status != 0) fprintf(stderr, "%s\n", err->message);
    return status;
}

static void remove_fresh(void) {
    char path[80];
    snprintf(path, sizeof path, "/tmp/martlet-bench-%d.duckdb", (int)getpid());
    unlink(path);
    strcat(path, ".wal");
    unlink(path);
}

/* Drops staging.<table> (and its rejects) so each attempt starts empty. */
static void drop_tables(struct warehouse *warehouse, const char *source_table) {
    char sql[256];
    struct error err;
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s; DROP TABLE IF EXISTS %s_rejects", source_table, source_table);
    warehouse_execute(warehouse, sql, &err);
}

static int load_into(const char *url, char **argv, long long *rows) {
    struct pipeline *pipeline;
    struct error err;
    if (pipeline_load(argv[3], &pipeline, &err) != 0) { fprintf(stderr, "%s\n", err.message); return -1; }
    const struct source *source = NULL;
    for (size_t i = 0; i < pipeline->source_count; i++)
        if (strcmp(pipeline->sources[i].name, argv[4]) == 0) source = &pipeline->sources[i];
    struct warehouse *warehouse;
    if (source == NULL || warehouse_open(url, &warehouse, &err) != 0) { fprintf(stderr, "cannot load\n"); return -1; }
    drop_tables(warehouse, argv[4]);
    struct load_target target = {.schema = "staging", .table = source->table, .columns = source->columns,
                                 .column_count = source->column_count};
    struct load_options options = {.path = argv[5], .source_name = source->file, .delimiter = source->delimiter,
                                   .quote = source->quote, .header = source->header, .max_rejects = -1};
    struct load_stats stats;
    int status = warehouse_begin(warehouse, &err);
    if (status == 0) status = loader_prepare_tables(warehouse, &target, &err);
    if (status == 0) status = loader_load_file(warehouse, &target, &options, &stats, &err);
    if (status == 0) status = warehouse_commit(warehouse, &err);
    if (status != 0) fprintf(stderr, "%s\n", err.message);
    *rows = stats.rows_loaded;
    warehouse_close(warehouse);
    pipeline_free(pipeline);
    return status;
}

/* martlet's validated load of FILE into staging.<table> of a fresh DuckDB file. */
static int martlet_load(const char *pipeline_dir, const char *table, const char *file, long long *rows) {
    char path[64], url[80];
    snprintf(path, sizeof path, "/tmp/martlet-bench-%d.duckdb", (int)getpid());
    unlink(path);
    snprintf(url, sizeof url, "duckdb:%s", path);
    char *arguments[] = {NULL, NULL, NULL, (char *)pipeline_dir, (char *)table, (char *)file};
    return load_into(url, arguments, rows);
}

static int duckdb_sql(const char *sql_format, const char *file, long long *rows) {
    struct warehouse *warehouse;
    struct error err;
    if (open_fresh(&warehouse, &err) != 0) return -1;
    struct strbuf sql;
    strbuf_init(&sql);
    strbuf_printf(&sql, sql_format, file);
    char *value = NULL;
    int status = warehouse_query_value(warehouse, strbuf_text(&sql), &value, &err);
    if (status != 0) fprintf(stderr, "%s\n", err.message);
    *rows = value ? atoll(value) : 0;
    free(value);
    strbuf_free(&sql);
    warehouse_close(warehouse);
    return status;
}

enum contender { MARTLET_LOAD, DUCKDB_COUNT, DUCKDB_LOAD };

static int run_contender(enum contender who, char **argv, long long *rows) {
    switch (who) {
    case MARTLET_LOAD: return martlet_load(argv[1], argv[2], argv[3], rows);
    case DUCKDB_COUNT: return duckdb_sql("SELECT count(*) FROM read_csv('%s')", argv[3], rows);
    case DUCKDB_LOAD:
        return duckdb_sql("CREATE TABLE t AS SELECT * FROM read_csv('%s'); SELECT count(*) FROM t", argv[3], rows);
    }
    return -1;
}

/* Runs one contender in a child; the child reports rows through a pipe. */
static int measure(enum contender who, char **argv, struct measurement *best) {
    best->seconds = 1e30;
    for (int attempt = 0; attempt < 3; attempt++) {
        int channel[2];
        if (pipe(channel) != 0) return -1;
        double start = clock_seconds();
        pid_t child = fork();
        if (child == 0) {
            long long rows = 0;
            int status = run_contender(who, argv, &rows);
            remove_fresh();
            if (write(channel[1], &rows, sizeof rows) != sizeof rows) status = -1;
            _exit(status == 0 ? 0 : 1);
        }
        close(channel[1]);
        long long rows = 0;
        if (read(channel[0], &rows, sizeof rows) != sizeof rows) rows = -1;
        close(channel[0]);
        int status;
        struct rusage usage;
        wait4(child, &status, 0, &usage);
        double seconds = clock_seconds() - start;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
        if (seconds < best->seconds) {
            best->seconds = seconds;
            best->peak_rss_kb = usage.ru_maxrss;
            best->rows = rows;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: load_bench PIPELINE_DIR SOURCE_TABLE FILE\n");
        return 2;
    }
    struct stat info;
    if (stat(argv[3], &info) != 0) { perror(argv[3]); return 1; }
    double megabytes = (double)info.st_size / 1e6;
    static const char *const names[] = {"martlet validated load", "duckdb read_csv count(*)", "duckdb read_csv into table"};
    struct measurement results[3];
    printf("file %s: %.1f MB\n", argv[3], megabytes);
    /* $LOAD_BENCH_ONLY=martlet runs just martlet's load (for profiling). */
    const char *only = getenv("LOAD_BENCH_ONLY");
    if (only && strcmp(only, "martlet") == 0) {
        long long rows;
        return martlet_load(argv[1], argv[2], argv[3], &rows) == 0 ? 0 : 1;
    }
    for (int who = 0; who < 3; who++) {
        if (measure((enum contender)who, argv, &results[who]) != 0) { fprintf(stderr, "%s failed\n", names[who]); return 1; }
        printf("  %-28s %7.3f s %8.1f MB/s %12.0f rows/s  %10lld rows  peak RSS %6ld MB\n", names[who],
               results[who].seconds, megabytes / results[who].seconds, (double)results[who].rows / results[who].seconds,
               results[who].rows, results[who].peak_rss_kb / 1024);
    }
    printf("  ratio martlet / duckdb count(*) = %.2fx   (target >= 0.8x; higher is better)\n",
           results[DUCKDB_COUNT].seconds / results[MARTLET_LOAD].seconds);
    printf("  ratio martlet / duckdb load     = %.2fx\n", results[DUCKDB_LOAD].seconds / results[MARTLET_LOAD].seconds);
    return 0;
}
