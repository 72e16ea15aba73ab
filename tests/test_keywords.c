/* test_keywords.c -- the reserved-word table of src/util/identifier.c
 * against the live keyword lists of both warehouses: every word a
 * warehouse will not take as a column name is in the table, and every word
 * of the table is one that warehouse lists (nothing guessed). */
#include "../src/util/identifier.h"
#include "../src/util/memory.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

Test(keywords, the_table_is_sorted_for_binary_search) {
    size_t count;
    const struct reserved_word *words = identifier_reserved_words(&count);
    cr_assert_gt(count, 100);
    for (size_t i = 0; i < count; i++) {
        cr_expect(identifier_is_valid(words[i].word), "'%s' is not lower-case", words[i].word);
        cr_expect_neq(words[i].reserved_by, 0);
        if (i > 0) cr_expect_lt(strcmp(words[i - 1].word, words[i].word), 0, "'%s' before '%s'", words[i - 1].word, words[i].word);
        cr_expect_eq(identifier_reserved_by(words[i].word), words[i].reserved_by, "'%s' is not found", words[i].word);
    }
    cr_expect_eq(identifier_reserved_by("datetime"), 0);
    cr_expect_eq(identifier_reserved_by("aaa"), 0);
    cr_expect_eq(identifier_reserved_by("zzz"), 0);
}

/* Reads the live list with sql (one word a line, each ending in \n) from
 * the warehouse named `warehouse`, and compares it with the table's words
 * flagged `reserver`, both ways; the list must hold `sample`. */
static void expect_table_matches(struct warehouse *database, const char *sql, unsigned reserver, const char *warehouse,
                                 const char *sample) {
    char *live = test_query_text(database, sql), sample_line[80];
    snprintf(sample_line, sizeof sample_line, "\n%s\n", sample);
    cr_expect(strstr(live, sample_line) != NULL, "the live list has no '%s': %s", sample, live);
    size_t live_count = 0;
    char *copy = memory_strdup(live);
    for (char *word = strtok(copy, "\n"); word != NULL; word = strtok(NULL, "\n")) {
        live_count++;
        cr_expect(identifier_reserved_by(word) & reserver, "%s reserves '%s', missing from src/util/identifier.c", warehouse,
                  word);
    }
    free(copy);
    size_t count, flagged = 0;
    const struct reserved_word *words = identifier_reserved_words(&count);
    for (size_t i = 0; i < count; i++) {
        if (!(words[i].reserved_by & reserver)) continue;
        flagged++;
        char line[80];
        snprintf(line, sizeof line, "\n%s\n", words[i].word);
        size_t length = strlen(words[i].word);
        bool listed = strstr(live, line) != NULL || (strncmp(live, words[i].word, length) == 0 && live[length] == '\n');
        cr_expect(listed, "the table says %s reserves '%s', but it does not", warehouse, words[i].word);
    }
    cr_expect_eq(flagged, live_count, "%s reserves %zu words, the table flags %zu", warehouse, live_count, flagged);
    cr_expect_gt(live_count, 50, "%s listed only %zu reserved words", warehouse, live_count);
    free(live);
}

/* DuckDB's 'reserved' words, and its 'type_function' ones (function or
 * type names, never column names: `left`, `by`). */
Test(keywords, every_word_duckdb_reserves_is_in_the_table) {
    struct warehouse *warehouse = test_open_memory();
    expect_table_matches(warehouse,
                         "SELECT string_agg(keyword_name, chr(10) ORDER BY keyword_name) || chr(10) FROM duckdb_keywords()"
                         " WHERE keyword_category IN ('reserved', 'type_function')",
                         IDENTIFIER_RESERVED_BY_DUCKDB, "DuckDB", "select");
    warehouse_close(warehouse);
}

/* PostgreSQL's catcode 'R' (reserved) and 'T' (reserved, but may be a
 * function or type name). */
Test(keywords, every_word_postgres_reserves_is_in_the_table) {
    char *url;
    NEED_POSTGRES(url);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(url, &warehouse, &err), 0, "%s", err.message);
    expect_table_matches(warehouse,
                         "SELECT string_agg(word, chr(10) ORDER BY word) || chr(10) FROM pg_get_keywords()"
                         " WHERE catcode IN ('R', 'T')",
                         IDENTIFIER_RESERVED_BY_POSTGRES, "PostgreSQL", "user");
    warehouse_close(warehouse);
    free(url);
}
