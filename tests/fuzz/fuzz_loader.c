/* fuzz_loader.c -- libFuzzer harness: the CSV tokenizer and the validating
 * loader, end to end, into the null warehouse.
 *
 * The first input byte picks the load options (header or positional,
 * delimiter, quote, a date range, a reject limit); the rest is the file.
 * Invariants checked on every input, whatever the outcome:
 *   - rows read = rows loaded + rows rejected;
 *   - a load that succeeds appended exactly rows_loaded rows to the table
 *     and rows_rejected rows to the rejects table;
 *   - every text the load produced (reject reasons, raw lines, loaded
 *     values, the warning, the error message) is valid UTF-8 -- checked by
 *     the null warehouse for appended values and here for the rest. */
#include "../../src/loader/loader.h"
#include "fuzz_support.h"
#include "null_warehouse.h"

#include <stdio.h>
#include <string.h>

static char *accepted_statuses[] = {"new", "paid", "отменён"};

static size_t name_part[] = {1};
static size_t status_id_parts[] = {6, 0};

/* With two hash keys the loader computes (src/loader/hash_key.c): every
 * batch's keys go through the MD5 lanes, over fuzzed text. */
static const struct column columns[] = {
    {.name = "id", .type = COLUMN_INTEGER, .required = true},
    {.name = "name", .type = COLUMN_TEXT, .max_length = 12},
    {.name = "amount", .type = COLUMN_DECIMAL, .precision = 10, .scale = 2},
    {.name = "day", .type = COLUMN_DATE},
    {.name = "created_at", .type = COLUMN_TIMESTAMP},
    {.name = "active", .type = COLUMN_BOOLEAN, .default_value = "false"},
    {.name = "status", .type = COLUMN_TEXT, .default_value = "new", .accepted_values = accepted_statuses,
     .accepted_count = 3},
    {.name = "hk_name", .type = COLUMN_INTEGER, .hash_parts = name_part, .hash_part_count = 1},
    {.name = "hk_status_id", .type = COLUMN_INTEGER, .hash_parts = status_id_parts, .hash_part_count = 2},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    static const char delimiters[] = {',', ';', '\t', '|'};
    uint8_t flags = data[0];
    char path[512];
    snprintf(path, sizeof path, "%s/input.csv", fuzz_scratch_directory());
    fuzz_write_file(path, data + 1, size - 1);

    struct load_target target = {.schema = "staging", .table = "orders", .columns = columns,
                                 .column_count = sizeof columns / sizeof *columns};
    struct load_options options = {
        .path = path,
        .source_name = "input.csv",
        .delimiter = delimiters[(flags >> 1) & 3],
        .quote = flags & 0x20 ? '\'' : '"',
        .header = !(flags & 1),
        .max_rejects = flags & 0x10 ? 5 : -1,
        .range_column = flags & 0x08 ? "day" : NULL,
        .range_first_day = 18262,   /* 2020-01-01 */
        .range_last_day = 22280,    /* 2030-12-31 */
    };
    struct warehouse *warehouse = null_warehouse_open();
    struct error err = {0};
    if (loader_prepare_tables(warehouse, &target, &err) != 0) fuzz_require(false, "preparing tables", err.message);
    struct load_stats stats;
    int status = loader_load_file(warehouse, &target, &options, &stats, &err);

    char counts_text[160];
    snprintf(counts_text, sizeof counts_text, "read %lld, loaded %lld, rejected %lld",
             (long long)stats.rows_read, (long long)stats.rows_loaded, (long long)stats.rows_rejected);
    fuzz_require(stats.rows_read == stats.rows_loaded + stats.rows_rejected, "read = loaded + rejected", counts_text);
    fuzz_require(stats.rows_loaded >= 0 && stats.rows_rejected >= 0, "counts are not negative", counts_text);
    fuzz_require_utf8("the load's warning", stats.warning, strlen(stats.warning));
    if (status == 0) {
        struct null_warehouse_counts counts;
        null_warehouse_counts(warehouse, &counts);
        fuzz_require(counts.rows == stats.rows_loaded, "rows appended = rows loaded", counts_text);
        fuzz_require(counts.rejects == stats.rows_rejected, "rejects appended = rows rejected", counts_text);
    } else {
        fuzz_require(err.message[0] != '\0', "a failed load says why", NULL);
        fuzz_require_utf8("the load's error message", err.message, strlen(err.message));
    }
    warehouse_close(warehouse);
    return 0;
}
