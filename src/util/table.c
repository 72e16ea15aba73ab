/* table.c -- see table.h. */
#include "table.h"
#include "memory.h"

#include <cJSON.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Display width of UTF-8 text: one column per code point (group names are
 * Cyrillic; byte counts would misalign them). */
static size_t display_width(const char *text) {
    size_t width = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) width += (*p & 0xC0) != 0x80;
    return width;
}

static bool looks_numeric(const char *text) {
    if (text == NULL || *text == '\0') return false;
    char *end;
    strtod(text, &end);
    return *end == '\0';
}

static void pad(FILE *out, size_t count) {
    while (count-- > 0) fputc(' ', out);
}

/* Prints header, rule and rows; numbers right-aligned, NULL shown empty. */
void table_print(FILE *out, const struct warehouse_result *result) {
    size_t *widths = memory_calloc(result->column_count, sizeof *widths);
    for (size_t c = 0; c < result->column_count; c++) {
        widths[c] = display_width(result->column_names[c]);
        for (size_t r = 0; r < result->row_count; r++) {
            const char *cell = warehouse_result_cell(result, r, c);
            size_t width = cell ? display_width(cell) : 0;
            if (width > widths[c]) widths[c] = width;
        }
    }
    for (size_t c = 0; c < result->column_count; c++) {
        fprintf(out, "%s%s", c ? "  " : "", result->column_names[c]);
        if (c + 1 < result->column_count) pad(out, widths[c] - display_width(result->column_names[c]));
    }
    fputc('\n', out);
    for (size_t c = 0; c < result->column_count; c++) {
        fprintf(out, "%s", c ? "  " : "");
        for (size_t i = 0; i < widths[c]; i++) fputc('-', out);
    }
    fputc('\n', out);
    for (size_t r = 0; r < result->row_count; r++) {
        for (size_t c = 0; c < result->column_count; c++) {
            const char *cell = warehouse_result_cell(result, r, c);
            const char *text = cell ? cell : "";
            size_t gap = widths[c] - display_width(text);
            if (c) fputs("  ", out);
            if (looks_numeric(cell)) { pad(out, gap); fputs(text, out); }
            else { fputs(text, out); if (c + 1 < result->column_count) pad(out, gap); }
        }
        fputc('\n', out);
    }
    free(widths);
}

static void print_csv_field(FILE *out, const char *text) {
    if (text == NULL) return;
    if (strpbrk(text, ",\"\r\n") == NULL) { fputs(text, out); return; }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

/* Prints the result as RFC 4180 CSV with a header line. */
void table_print_csv(FILE *out, const struct warehouse_result *result) {
    for (size_t c = 0; c < result->column_count; c++) {
        if (c) fputc(',', out);
        print_csv_field(out, result->column_names[c]);
    }
    fputc('\n', out);
    for (size_t r = 0; r < result->row_count; r++) {
        for (size_t c = 0; c < result->column_count; c++) {
            if (c) fputc(',', out);
            print_csv_field(out, warehouse_result_cell(result, r, c));
        }
        fputc('\n', out);
    }
}

/* True for text that is a JSON number as it stands (no leading zeros, no
 * trailing dot), so it can be written raw and keep every digit: 64-bit
 * hash keys do not survive a trip through a double. */
static bool is_json_number(const char *text) {
    const char *p = text;
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (*p >= '0' && *p <= '9') p++;
    else return false;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9')) return false;
        while (*p >= '0' && *p <= '9') p++;
    }
    return *p == '\0';
}

/* Prints the result as a JSON array of objects, one per row. */
void table_print_json(FILE *out, const struct warehouse_result *result) {
    cJSON *rows = cJSON_CreateArray();
    for (size_t r = 0; r < result->row_count; r++) {
        cJSON *row = cJSON_CreateObject();
        for (size_t c = 0; c < result->column_count; c++) {
            const char *cell = warehouse_result_cell(result, r, c);
            cJSON *value = cell == NULL ? cJSON_CreateNull()
                           : is_json_number(cell) ? cJSON_CreateRaw(cell) : cJSON_CreateString(cell);
            cJSON_AddItemToObject(row, result->column_names[c], value);
        }
        cJSON_AddItemToArray(rows, row);
    }
    char *text = cJSON_Print(rows);
    fprintf(out, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(rows);
}
