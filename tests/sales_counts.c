/* sales_counts.c -- see sales_counts.h. */
#include "sales_counts.h"
#include "../src/loader/csv.h"
#include "../src/loader/value.h"
#include "../src/util/memory.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct line {
    char uniq_id[40];
    int64_t day, item_id, customer_id, cents;
    bool refunded;
};

struct customer_line {   /* one (period, item, customer, line) */
    char period_name[8], period_id[9];
    int64_t item_id, customer_id, cents;
    bool refunded;
};

/* 'YYYY-Www' for a day number, by the ISO rule: the week belongs to the
 * year of its Thursday. */
void sales_iso_week_label(int64_t days, char label[9]) {
    int64_t weekday = ((days % 7) + 7 + 3) % 7;          /* 0 = Monday; 1970-01-01 was a Thursday */
    int64_t thursday = days - weekday + 3;
    int year, month, day;
    value_civil_from_days(thursday, &year, &month, &day);
    int64_t week = (thursday - value_days_from_civil(year, 1, 1)) / 7 + 1;
    snprintf(label, 9, "%04d-W%02d", year, (int)week);
}

static int compare_lines(const void *a, const void *b) {
    return strcmp(((const struct line *)a)->uniq_id, ((const struct line *)b)->uniq_id);
}

static int compare_customer_lines(const void *left, const void *right) {
    const struct customer_line *a = left, *b = right;
    int order = strcmp(a->period_name, b->period_name);
    if (order == 0) order = strcmp(a->period_id, b->period_id);
    if (order == 0) order = a->item_id < b->item_id ? -1 : a->item_id > b->item_id;
    if (order == 0) order = a->customer_id < b->customer_id ? -1 : a->customer_id > b->customer_id;
    return order;
}

static int64_t integer_field(const struct csv_field *field) {
    char text[32];
    snprintf(text, sizeof text, "%.*s", (int)field->length, field->data);
    return strtoll(text, NULL, 10);
}

/* Reads one order file: columns by header name; no status = shipped. */
static void read_orders(const char *path, struct line **lines, size_t *count, size_t *capacity) {
    struct csv_reader *reader;
    struct error err;
    cr_assert_eq(csv_reader_open(path, ',', '"', &reader, &err), 0, "%s", err.message);
    struct csv_record record;
    cr_assert_eq(csv_reader_next(reader, &record, &err), 1);
    int uniq = -1, date = -1, item = -1, customer = -1, amount = -1, status = -1;
    for (size_t i = 0; i < record.field_count; i++) {
        const struct csv_field *f = &record.fields[i];
#define IS(name) (f->length == strlen(name) && memcmp(f->data, name, f->length) == 0)
        if (IS("uniq_id")) uniq = (int)i;
        if (IS("date_time")) date = (int)i;
        if (IS("item_id")) item = (int)i;
        if (IS("customer_id")) customer = (int)i;
        if (IS("payment_amount")) amount = (int)i;
        if (IS("status")) status = (int)i;
#undef IS
    }
    while (csv_reader_next(reader, &record, &err) == 1) {
        if (*count == *capacity) {
            *capacity = *capacity ? *capacity * 2 : 4096;
            *lines = memory_realloc(*lines, *capacity * sizeof **lines);
        }
        struct line *line = &(*lines)[(*count)++];
        snprintf(line->uniq_id, sizeof line->uniq_id, "%.*s", (int)record.fields[uniq].length, record.fields[uniq].data);
        cr_assert_eq(value_parse_date(record.fields[date].data, 10, &line->day), 0);
        line->item_id = integer_field(&record.fields[item]);
        line->customer_id = integer_field(&record.fields[customer]);
        line->cents = integer_field(&record.fields[amount]) * 100; /* whole amounts in these files */
        line->refunded = status >= 0 && record.fields[status].length == 8 &&
                         memcmp(record.fields[status].data, "refunded", 8) == 0;
    }
    csv_reader_close(reader);
}

/* Retention rows sorted by (period_name, period_id, item_id). */
struct retention_row *sales_count_retention(const char *const *files, size_t file_count, size_t *row_count,
                                            int64_t *distinct_lines, int64_t *signed_amount_cents) {
    struct line *lines = NULL;
    size_t count = 0, capacity = 0;
    for (size_t f = 0; f < file_count; f++) read_orders(files[f], &lines, &count, &capacity);
    qsort(lines, count, sizeof *lines, compare_lines);
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (kept == 0 || strcmp(lines[kept - 1].uniq_id, lines[i].uniq_id) != 0) lines[kept++] = lines[i];
    *distinct_lines = (int64_t)kept;
    *signed_amount_cents = 0;
    struct customer_line *per = memory_calloc(kept * 2 + 1, sizeof *per);
    for (size_t i = 0; i < kept; i++) {
        *signed_amount_cents += lines[i].refunded ? -lines[i].cents : lines[i].cents;
        int year, month, day;
        value_civil_from_days(lines[i].day, &year, &month, &day);
        struct customer_line week = {"weekly", "", lines[i].item_id, lines[i].customer_id, lines[i].cents, lines[i].refunded};
        sales_iso_week_label(lines[i].day, week.period_id);
        struct customer_line monthly = week;
        snprintf(monthly.period_name, sizeof monthly.period_name, "monthly");
        snprintf(monthly.period_id, sizeof monthly.period_id, "%04d-%02d", year, month);
        per[2 * i] = week;
        per[2 * i + 1] = monthly;
    }
    qsort(per, kept * 2, sizeof *per, compare_customer_lines);
    struct retention_row *rows = memory_calloc(kept * 2 + 1, sizeof *rows);
    size_t out = 0;
    for (size_t i = 0; i < kept * 2;) {
        size_t j = i;
        int64_t shipped = 0, refunded = 0, revenue = 0;
        while (j < kept * 2 && compare_customer_lines(&per[i], &per[j]) == 0) {
            if (per[j].refunded) refunded++; else { shipped++; revenue += per[j].cents; }
            j++;
        }
        bool same_row = out > 0 && strcmp(rows[out - 1].period_name, per[i].period_name) == 0 &&
                        strcmp(rows[out - 1].period_id, per[i].period_id) == 0 && rows[out - 1].item_id == per[i].item_id;
        if (!same_row) {
            struct retention_row *row = &rows[out++];
            snprintf(row->period_name, sizeof row->period_name, "%s", per[i].period_name);
            snprintf(row->period_id, sizeof row->period_id, "%s", per[i].period_id);
            row->item_id = per[i].item_id;
        }
        struct retention_row *row = &rows[out - 1];
        if (shipped == 1) { row->new_customers++; row->new_revenue_cents += revenue; }
        if (shipped > 1) { row->returning_customers++; row->returning_revenue_cents += revenue; }
        if (refunded > 0) row->refunded_customers++;
        row->refunded_lines += refunded;
        i = j;
    }
    free(per);
    free(lines);
    *row_count = out;
    return rows;
}
