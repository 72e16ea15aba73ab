/* dedupe.c -- see dedupe.h.
 *
 * One entry per key seen, in the order first seen: the key (up to
 * DEDUPE_INLINE_KEY bytes in the entry itself, a longer one in an arena:
 * the batches point into a mapped file that is gone after each file, and
 * one set spans every file of a run), the smallest first column seen for
 * it and, when the row holding that value is held aside, where. An
 * open-addressing table of small slots (linear probing, at most half
 * full) finds them: 32 bits of the key's hash and the entry's number, so
 * that the slots stay in the caches and growing reads no entry. With
 * hundreds of thousands of keys a lookup still misses the caches; a
 * batch's keys are therefore hashed and their slots, then their entries,
 * fetched ahead before any row is decided (a miss waited for per row, and
 * a table of whole entries placed again at each doubling, were a fifth of
 * a load's time). */
#include "dedupe.h"
#include "../util/memory.h"

#include <string.h>

#define DEDUPE_INITIAL_SLOTS 1024u
#define DEDUPE_HELD_BATCH_ROWS 1024u
#define DEDUPE_INLINE_KEY 32u

enum { ENTRY_KEY_NULL = 1, ENTRY_ORDER_NULL = 2 };

struct dedupe_entry {
    uint64_t hash;
    int64_t order;         /* the smallest first column seen, unless ENTRY_ORDER_NULL (NULL sorts last) */
    int64_t held;          /* the held row that has it, or -1: the row sent to the table has it */
    uint32_t key_length;   /* a text key's bytes */
    uint8_t flags;
    union {
        int64_t number;
        uint64_t offset;   /* a text key longer than DEDUPE_INLINE_KEY, in the arena */
        char text[DEDUPE_INLINE_KEY];
    } key;
};
_Static_assert(sizeof(struct dedupe_entry) == 64, "an entry fills one cache line");

struct dedupe_slot {
    uint32_t hash;         /* the hash's high half: its low bits place the slot, the rest tell keys apart */
    uint32_t entry;        /* the entry's number + 1; 0 = empty */
};

/* The key of one batch row, hashed. */
struct key {
    uint64_t hash;
    bool null;
    int64_t number;
    const char *text;      /* a text key, else NULL */
    size_t length;
};

struct dedupe {
    const struct column *columns;
    size_t column_count;
    size_t key_column;
    struct dedupe_entry *entries;
    size_t entry_count, entry_capacity;
    struct dedupe_slot *slots;
    size_t slot_count;     /* a power of two */
    struct strbuf keys;    /* text keys longer than DEDUPE_INLINE_KEY */
    struct key *batch_keys;   /* the keys of the batch being filtered */
    size_t batch_key_capacity;
    struct batch **held;   /* rows that replace a row already sent, DEDUPE_HELD_BATCH_ROWS a batch */
    size_t held_batches;
    int64_t held_rows;
    bool null_key_held;
    int64_t seen, passed;
};

/* Whether the loader can keep exactly the row DISTINCT ON would: the key
 * is a declared column, and the first column sorts the same everywhere
 * (not text, whose order is the warehouse's collation) or is the key. */
bool dedupe_applies(const struct column *columns, size_t column_count, const char *key_column) {
    for (size_t i = 0; i < column_count; i++)
        if (strcmp(columns[i].name, key_column) == 0) return i == 0 || columns[0].type != COLUMN_TEXT;
    return false;
}

/* An empty set for rows of these columns (which it borrows), keyed on key_column. */
int dedupe_create(const struct column *columns, size_t column_count, const char *key_column, struct dedupe **out,
                  struct error *err) {
    if (!dedupe_applies(columns, column_count, key_column))
        return error_set(err, "cannot deduplicate on '%s' while loading: not a column, or the first column is text",
                         key_column);
    struct dedupe *dedupe = memory_calloc(1, sizeof *dedupe);
    dedupe->columns = columns;
    dedupe->column_count = column_count;
    while (strcmp(columns[dedupe->key_column].name, key_column) != 0) dedupe->key_column++;
    dedupe->slot_count = DEDUPE_INITIAL_SLOTS;
    dedupe->slots = memory_calloc(dedupe->slot_count, sizeof *dedupe->slots);
    strbuf_init(&dedupe->keys);
    *out = dedupe;
    return 0;
}

/* Frees the set, its keys and its held rows. NULL is allowed. */
void dedupe_free(struct dedupe *dedupe) {
    if (dedupe == NULL) return;
    for (size_t i = 0; i < dedupe->held_batches; i++) batch_free(dedupe->held[i]);
    free(dedupe->held);
    strbuf_free(&dedupe->keys);
    free(dedupe->batch_keys);
    free(dedupe->slots);
    free(dedupe->entries);
    free(dedupe);
}

/* Spreads a word's bits over all 64 (a multiply-xorshift finalizer), so
 * that keys differing in a few bits land far apart. */
static uint64_t mix(uint64_t word) {
    word ^= word >> 33;
    word *= 0xff51afd7ed558ccdULL;
    word ^= word >> 33;
    word *= 0xc4ceb9fe1a85ec53ULL;
    word ^= word >> 33;
    return word;
}

/* A text's hash, eight bytes at a time. */
static uint64_t hash_text(const char *text, size_t length) {
    uint64_t hash = 0x9e3779b97f4a7c15ULL ^ length;
    size_t i = 0;
    for (; i + 8 <= length; i += 8) {
        uint64_t word;
        memcpy(&word, text + i, 8);
        hash = mix(hash ^ word) + i;
    }
    uint64_t tail = 0;
    if (length > i) memcpy(&tail, text + i, length - i);
    return mix(hash ^ tail);
}

/* The key of one batch row, hashed. */
static struct key row_key(const struct dedupe *dedupe, const struct batch *batch, size_t row) {
    struct key key = {0};
    size_t column = dedupe->key_column;
    if (batch->data[column].is_null[row]) {
        key.null = true;
        key.hash = mix(1);
    } else if (dedupe->columns[column].type == COLUMN_TEXT) {
        key.text = batch_text(batch, column, row, &key.length);
        key.hash = hash_text(key.text, key.length);
    } else {
        key.number = batch->data[column].numbers[row];
        key.hash = mix((uint64_t)key.number);
    }
    return key;
}

/* A text key's bytes: in its entry, or in the arena when longer. */
static const char *entry_text(const struct dedupe *dedupe, const struct dedupe_entry *entry) {
    return entry->key_length <= DEDUPE_INLINE_KEY ? entry->key.text : dedupe->keys.data + entry->key.offset;
}

static bool same_key(const struct dedupe *dedupe, const struct dedupe_entry *entry, const struct key *key) {
    if (entry->hash != key->hash || ((entry->flags & ENTRY_KEY_NULL) != 0) != key->null) return false;
    if (key->null) return true;
    if (key->text == NULL) return entry->key.number == key->number;
    return entry->key_length == key->length &&
           (key->length == 0 || memcmp(entry_text(dedupe, entry), key->text, key->length) == 0);
}

/* Makes room for `more` new keys: the slots double (each placed again
 * from the hash it holds, the entries staying where they are) until they
 * would stay at most half full. */
static void reserve(struct dedupe *dedupe, size_t more) {
    size_t needed = dedupe->entry_count + more;
    if (needed > dedupe->entry_capacity) {
        dedupe->entry_capacity = dedupe->entry_capacity ? dedupe->entry_capacity : DEDUPE_INITIAL_SLOTS / 2;
        while (needed > dedupe->entry_capacity) dedupe->entry_capacity *= 2;
        dedupe->entries = memory_realloc(dedupe->entries, dedupe->entry_capacity * sizeof *dedupe->entries);
    }
    size_t slot_count = dedupe->slot_count;
    while (2 * needed > slot_count) slot_count *= 2;
    if (slot_count == dedupe->slot_count) return;
    struct dedupe_slot *old = dedupe->slots;
    size_t old_count = dedupe->slot_count;
    dedupe->slot_count = slot_count;
    dedupe->slots = memory_calloc(slot_count, sizeof *dedupe->slots);
    for (size_t i = 0; i < old_count; i++) {
        if (old[i].entry == 0) continue;
        size_t slot = old[i].hash & (slot_count - 1);
        while (dedupe->slots[slot].entry != 0) slot = (slot + 1) & (slot_count - 1);
        dedupe->slots[slot] = old[i];
    }
    free(old);
}

/* The key's entry; a new one (the key copied, no order yet) when the key
 * is new, which *added says. Room was reserved. */
static struct dedupe_entry *find_or_add(struct dedupe *dedupe, const struct key *key, bool *added) {
    uint32_t hash = (uint32_t)(key->hash >> 32);
    size_t mask = dedupe->slot_count - 1, slot = hash & mask;
    for (; dedupe->slots[slot].entry != 0; slot = (slot + 1) & mask) {
        if (dedupe->slots[slot].hash != hash) continue;
        struct dedupe_entry *entry = &dedupe->entries[dedupe->slots[slot].entry - 1];
        if (same_key(dedupe, entry, key)) {
            *added = false;
            return entry;
        }
    }
    struct dedupe_entry *entry = &dedupe->entries[dedupe->entry_count++];
    dedupe->slots[slot] = (struct dedupe_slot){hash, (uint32_t)dedupe->entry_count};
    *entry = (struct dedupe_entry){.hash = key->hash, .flags = key->null ? ENTRY_KEY_NULL : 0, .held = -1};
    if (key->text) {
        entry->key_length = (uint32_t)key->length;
        if (key->length <= DEDUPE_INLINE_KEY) {
            if (key->length > 0) memcpy(entry->key.text, key->text, key->length);
        } else {
            entry->key.offset = dedupe->keys.length;
            strbuf_append(&dedupe->keys, key->text, key->length);
        }
    } else {
        entry->key.number = key->number;
    }
    *added = true;
    return entry;
}

/* Fetches ahead what deciding the batch's rows will read: first every
 * key's slot, then the entry of each slot that looks like the key's (a
 * hint only: deciding the rows before it may add the key). */
static void fetch_ahead(const struct dedupe *dedupe, size_t rows) {
    size_t mask = dedupe->slot_count - 1;
    for (size_t row = 0; row < rows; row++)
        __builtin_prefetch(&dedupe->slots[(dedupe->batch_keys[row].hash >> 32) & mask]);
    for (size_t row = 0; row < rows; row++) {
        uint32_t hash = (uint32_t)(dedupe->batch_keys[row].hash >> 32);
        const struct dedupe_slot *slot = &dedupe->slots[hash & mask];
        if (slot->entry != 0 && slot->hash == hash) __builtin_prefetch(&dedupe->entries[slot->entry - 1]);
    }
}

/* Copies one row's values (text into the target's own arena). */
static void copy_row(struct batch *to, size_t to_row, const struct batch *from, size_t from_row) {
    for (size_t c = 0; c < from->column_count; c++) {
        struct batch_column *data = &to->data[c];
        data->is_null[to_row] = from->data[c].is_null[from_row];
        if (data->is_null[to_row]) continue;
        if (from->columns[c].type != COLUMN_TEXT) {
            data->numbers[to_row] = from->data[c].numbers[from_row];
            continue;
        }
        size_t length;
        const char *text = batch_text(from, c, from_row, &length);
        data->text_offset[to_row] = (uint32_t)to->text.length;
        data->text_length[to_row] = (uint32_t)length;
        data->text_pointer[to_row] = NULL;
        strbuf_append(&to->text, text, length);
    }
}

/* Moves a row to an earlier place in its batch (the text stays where it is). */
static void move_row(struct batch *batch, size_t to, size_t from) {
    for (size_t c = 0; c < batch->column_count; c++) {
        struct batch_column *data = &batch->data[c];
        data->is_null[to] = data->is_null[from];
        if (data->numbers) data->numbers[to] = data->numbers[from];
        if (data->text_length) {
            data->text_offset[to] = data->text_offset[from];
            data->text_length[to] = data->text_length[from];
            data->text_pointer[to] = data->text_pointer[from];
        }
    }
}

/* Keeps the row as its key's best among the held rows: in the key's held
 * place if it has one, else in a new one. */
static void hold_row(struct dedupe *dedupe, struct dedupe_entry *entry, const struct batch *batch, size_t row) {
    if (entry->held < 0) {
        if (dedupe->held_rows % DEDUPE_HELD_BATCH_ROWS == 0) {
            dedupe->held = memory_realloc(dedupe->held, (dedupe->held_batches + 1) * sizeof *dedupe->held);
            dedupe->held[dedupe->held_batches++] =
                batch_create(dedupe->columns, dedupe->column_count, DEDUPE_HELD_BATCH_ROWS);
        }
        entry->held = dedupe->held_rows++;
        dedupe->held[dedupe->held_batches - 1]->row_count++;
        if (entry->flags & ENTRY_KEY_NULL) dedupe->null_key_held = true;
    }
    copy_row(dedupe->held[entry->held / DEDUPE_HELD_BATCH_ROWS], (size_t)(entry->held % DEDUPE_HELD_BATCH_ROWS), batch,
             row);
}

/* Whether the row (whose key is given) goes on to the table: the first
 * of its key does; a later one whose first column sorts before the best
 * so far (NULL sorts after every value) is held instead; any other is
 * dropped. */
static bool keep_row(struct dedupe *dedupe, const struct batch *batch, size_t row, const struct key *key) {
    bool added;
    struct dedupe_entry *entry = find_or_add(dedupe, key, &added);
    bool order_null = batch->data[0].is_null[row];
    /* A text first column is the key itself (dedupe_applies): every copy ties. */
    int64_t order = order_null || batch->columns[0].type == COLUMN_TEXT ? 0 : batch->data[0].numbers[row];
    bool better = !order_null && ((entry->flags & ENTRY_ORDER_NULL) || order < entry->order);
    if (added || better) {
        entry->flags = (uint8_t)((entry->flags & ~ENTRY_ORDER_NULL) | (order_null ? ENTRY_ORDER_NULL : 0));
        entry->order = order;
    }
    if (added) return true;
    if (better) hold_row(dedupe, entry, batch, row);
    return false;
}

/* Takes the copies out of a chunk's batches, which the loader passes in
 * file order: every batch keeps only rows that go on to the table, in
 * their order. */
void dedupe_filter(struct dedupe *dedupe, struct batch *const *batches, size_t batch_count) {
    for (size_t b = 0; b < batch_count; b++) {
        struct batch *batch = batches[b];
        if (batch->row_count > dedupe->batch_key_capacity) {
            dedupe->batch_key_capacity = batch->row_count;
            dedupe->batch_keys = memory_realloc(dedupe->batch_keys, batch->row_count * sizeof *dedupe->batch_keys);
        }
        reserve(dedupe, batch->row_count);
        for (size_t row = 0; row < batch->row_count; row++) dedupe->batch_keys[row] = row_key(dedupe, batch, row);
        fetch_ahead(dedupe, batch->row_count);
        size_t kept = 0;
        for (size_t row = 0; row < batch->row_count; row++) {
            if (!keep_row(dedupe, batch, row, &dedupe->batch_keys[row])) continue;
            if (kept != row) move_row(batch, kept, row);
            kept++;
        }
        dedupe->seen += (int64_t)batch->row_count;
        dedupe->passed += (int64_t)kept;
        batch->row_count = kept;
    }
}

/* Rows the set was given. */
int64_t dedupe_rows_seen(const struct dedupe *dedupe) {
    return dedupe->seen;
}

/* Rows it let through to the table: one per key, so also the rows the
 * table gains once the held rows replace theirs. */
int64_t dedupe_rows_passed(const struct dedupe *dedupe) {
    return dedupe->passed;
}

/* Rows held aside, one per key whose row sent to the table they replace. */
int64_t dedupe_rows_held(const struct dedupe *dedupe) {
    return dedupe->held_rows;
}

/* Whether a held row has a NULL key (whose row no IN (...) can find). */
bool dedupe_holds_null_key(const struct dedupe *dedupe) {
    return dedupe->null_key_held;
}

/* Appends the held rows to schema.table, which has the set's columns. */
int dedupe_append_held(const struct dedupe *dedupe, struct warehouse *warehouse, const char *schema,
                       const char *table, struct error *err) {
    struct warehouse_appender *appender;
    if (warehouse_append_open(warehouse, schema, table, dedupe->columns, dedupe->column_count, &appender, err) != 0)
        return -1;
    int status = 0;
    for (size_t i = 0; i < dedupe->held_batches && status == 0; i++)
        status = warehouse_append_batch(appender, dedupe->held[i], err);
    struct error ignored;
    if (warehouse_append_close(appender, status == 0 ? err : &ignored) != 0) status = -1;
    return status;
}
