/* social_counts.c -- see social_counts.h. */
#include "social_counts.h"
#include "../src/loader/csv.h"
#include "../src/util/files.h"
#include "../src/util/memory.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pair {
    int64_t group, user;
};

struct pairs {
    struct pair *items;
    size_t count, capacity;
};

static void add_pair(struct pairs *pairs, int64_t group, int64_t user) {
    if (pairs->count == pairs->capacity) {
        pairs->capacity = pairs->capacity ? pairs->capacity * 2 : 1024;
        pairs->items = memory_realloc(pairs->items, pairs->capacity * sizeof *pairs->items);
    }
    pairs->items[pairs->count++] = (struct pair){group, user};
}

static int compare_pairs(const void *left, const void *right) {
    const struct pair *a = left, *b = right;
    if (a->group != b->group) return a->group < b->group ? -1 : 1;
    return a->user < b->user ? -1 : a->user > b->user;
}

/* Sorts and removes duplicates. */
static void make_set(struct pairs *pairs) {
    if (pairs->count == 0) return;
    qsort(pairs->items, pairs->count, sizeof *pairs->items, compare_pairs);
    size_t kept = 0;
    for (size_t i = 0; i < pairs->count; i++)
        if (kept == 0 || compare_pairs(&pairs->items[kept - 1], &pairs->items[i]) != 0) pairs->items[kept++] = pairs->items[i];
    pairs->count = kept;
}

static int64_t field_integer(const struct csv_record *record, size_t index) {
    char text[32];
    size_t length = record->fields[index].length < 31 ? record->fields[index].length : 31;
    memcpy(text, record->fields[index].data, length);
    text[length] = '\0';
    return strtoll(text, NULL, 10);
}

/* Calls visit for every data record of directory/name. */
static void each_record(const char *directory, const char *name, void (*visit)(const struct csv_record *, void *),
                        void *context) {
    char *path = files_join(directory, name);
    struct csv_reader *reader;
    struct error err;
    cr_assert_eq(csv_reader_open(path, ',', '"', &reader, &err), 0, "%s", err.message);
    struct csv_record record;
    int status = csv_reader_next(reader, &record, &err); /* header */
    while ((status = csv_reader_next(reader, &record, &err)) == 1) visit(&record, context);
    cr_assert_eq(status, 0, "%s", err.message);
    csv_reader_close(reader);
    free(path);
}

static void collect_adds(const struct csv_record *record, void *context) {
    /* group_id,user_id,user_id_from,event,datetime */
    if (record->fields[3].length == 3 && memcmp(record->fields[3].data, "add", 3) == 0)
        add_pair(context, field_integer(record, 0), field_integer(record, 1));
}

static void collect_authors(const struct csv_record *record, void *context) {
    /* message_id,message_ts,message_from,message_to,message,message_group */
    if (record->fields[5].length > 0) add_pair(context, field_integer(record, 5), field_integer(record, 2));
}

static void collect_groups(const struct csv_record *record, void *context) {
    add_pair(context, field_integer(record, 0), 0);
}

/* Counts of one group in a sorted set of (group, user) pairs. */
static size_t range_of(const struct pairs *pairs, int64_t group, size_t *start) {
    size_t low = 0, high = pairs->count;
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (pairs->items[middle].group < group) low = middle + 1; else high = middle;
    }
    *start = low;
    size_t end = low;
    while (end < pairs->count && pairs->items[end].group == group) end++;
    return end - low;
}

/* Per group of groups.csv, sorted by group id. */
struct group_count *social_count_groups(const char *directory, size_t *count) {
    struct pairs groups = {0}, adds = {0}, authors = {0};
    each_record(directory, "groups.csv", collect_groups, &groups);
    each_record(directory, "group_log.csv", collect_adds, &adds);
    each_record(directory, "dialogs.csv", collect_authors, &authors);
    make_set(&groups);
    make_set(&adds);
    make_set(&authors);
    struct group_count *counts = memory_calloc(groups.count, sizeof *counts);
    for (size_t g = 0; g < groups.count; g++) {
        int64_t id = groups.items[g].group;
        size_t add_start, author_start;
        size_t added = range_of(&adds, id, &add_start), wrote = range_of(&authors, id, &author_start);
        size_t converted = 0;
        for (size_t a = add_start, b = author_start; a < add_start + added && b < author_start + wrote;) {
            if (adds.items[a].user == authors.items[b].user) { converted++; a++; b++; }
            else if (adds.items[a].user < authors.items[b].user) a++;
            else b++;
        }
        counts[g] = (struct group_count){id, (int64_t)added, (int64_t)converted, (int64_t)wrote};
    }
    *count = groups.count;
    free(groups.items);
    free(adds.items);
    free(authors.items);
    return counts;
}

static void collect_users(const struct csv_record *record, void *context) {
    add_pair(context, field_integer(record, 0), 0);
}

static void collect_log_users(const struct csv_record *record, void *context) {
    add_pair(context, field_integer(record, 1), 0);
}

/* Distinct group_log users that users.csv does not list. */
int64_t social_count_orphan_users(const char *directory) {
    struct pairs users = {0}, log_users = {0};
    each_record(directory, "users.csv", collect_users, &users);
    each_record(directory, "group_log.csv", collect_log_users, &log_users);
    make_set(&users);
    make_set(&log_users);
    int64_t orphans = 0;
    for (size_t i = 0; i < log_users.count; i++) {
        size_t start;
        if (range_of(&users, log_users.items[i].group, &start) == 0) orphans++;
    }
    free(users.items);
    free(log_users.items);
    return orphans;
}

/* numerator/denominator rounded half up to 6 decimals, as text "0.123457". */
void social_format_ratio(int64_t numerator, int64_t denominator, char text[16]) {
    int64_t millionths = denominator == 0 ? 0 : (2 * numerator * 1000000 + denominator) / (2 * denominator);
    snprintf(text, 16, "%lld.%06lld", (long long)(millionths / 1000000), (long long)(millionths % 1000000));
}
