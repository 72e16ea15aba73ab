/* hash_key.c -- see hash_key.h. MD5 comes from OpenSSL's libcrypto, the
 * implementation fetched once per hasher (an implicit fetch at every digest
 * would dominate short keys). */
#include "hash_key.h"
#include "../util/memory.h"
#include "../util/strbuf.h"
#include "value.h"

#include <openssl/evp.h>
#include <string.h>

#define HASH_KEY_CACHE_SLOTS 4096   /* a power of two */

/* A key of one integer part already computed: ids repeat across rows (a
 * group's 250 ids over millions of messages), and one MD5 costs more than
 * the rest of a row's parsing. */
struct cached_key {
    const struct column *column;   /* NULL: an empty slot */
    int64_t value;
    int64_t key;
};

struct hash_key_hasher {
    EVP_MD *md5;
    EVP_MD_CTX *context;
    struct strbuf text;      /* the canonical text of the key being hashed */
    struct cached_key cache[HASH_KEY_CACHE_SLOTS];  /* direct-mapped: a newer key evicts the slot's */
};

/* A hasher for one thread. */
int hash_key_hasher_create(struct hash_key_hasher **hasher, struct error *err) {
    struct hash_key_hasher *made = memory_calloc(1, sizeof *made);
    made->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    made->context = EVP_MD_CTX_new();
    strbuf_init(&made->text);
    if (made->md5 == NULL || made->context == NULL) {
        hash_key_hasher_free(made);
        return error_set(err, "cannot compute hash keys: OpenSSL offers no MD5");
    }
    *hasher = made;
    return 0;
}

/* Frees the hasher. NULL is allowed. */
void hash_key_hasher_free(struct hash_key_hasher *hasher) {
    if (hasher == NULL) return;
    EVP_MD_CTX_free(hasher->context);
    EVP_MD_free(hasher->md5);
    strbuf_free(&hasher->text);
    free(hasher);
}

/* The hash key of a canonical text: MD5's first 8 bytes, big-endian, read
 * as two's complement. */
int hash_key_of_text(struct hash_key_hasher *hasher, const char *text, size_t length, int64_t *key) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    if (EVP_DigestInit_ex2(hasher->context, hasher->md5, NULL) != 1 ||
        EVP_DigestUpdate(hasher->context, text, length) != 1 ||
        EVP_DigestFinal_ex(hasher->context, digest, &digest_length) != 1 || digest_length < 8)
        return -1;
    uint64_t value = 0;
    for (int i = 0; i < 8; i++) value = value << 8 | digest[i];
    *key = (int64_t)value;
    return 0;
}

/* Appends an integer in decimal, as CAST(n AS VARCHAR) writes it. */
static void append_integer(struct strbuf *out, int64_t number) {
    char digits[24];
    size_t used = 0;
    uint64_t magnitude = number < 0 ? 0 - (uint64_t)number : (uint64_t)number;
    do {
        digits[sizeof digits - 1 - used++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (number < 0) digits[sizeof digits - 1 - used++] = '-';
    strbuf_append(out, digits + sizeof digits - used, used);
}

/* Appends one part's canonical text; false when the part is NULL. */
static bool append_part(struct strbuf *out, const struct batch *batch, size_t column, size_t row) {
    if (batch->data[column].is_null[row]) {
        strbuf_append(out, "^^", 2);
        return false;
    }
    int64_t number = batch->data[column].numbers ? batch->data[column].numbers[row] : 0;
    switch (batch->columns[column].type) {
    case COLUMN_TEXT: {
        size_t length;
        const char *text = batch_text(batch, column, row, &length);
        while (length > 0 && text[0] == ' ') { text++; length--; }
        while (length > 0 && text[length - 1] == ' ') length--;
        strbuf_append(out, text, length);
        break;
    }
    case COLUMN_BOOLEAN: strbuf_append_string(out, number ? "true" : "false"); break;
    case COLUMN_DATE: {
        char date[11];
        value_date_text(number, date);
        strbuf_append(out, date, 10);
        break;
    }
    default: append_integer(out, number); break;   /* integers (pipeline.c allows no other type) */
    }
    return true;
}

/* The key key_column declares over the row's parts (already in the batch);
 * *is_null when every part is NULL. */
int hash_key_of_row(struct hash_key_hasher *hasher, const struct batch *batch, size_t row, const struct column *key_column,
                    int64_t *key, bool *is_null) {
    struct cached_key *slot = NULL;
    size_t only = key_column->hash_parts[0];
    if (key_column->hash_part_count == 1 && batch->columns[only].type == COLUMN_INTEGER && !batch->data[only].is_null[row]) {
        int64_t value = batch->data[only].numbers[row];
        uint64_t mixed = ((uint64_t)value ^ (uint64_t)(uintptr_t)key_column) * UINT64_C(0x9E3779B97F4A7C15);
        slot = &hasher->cache[mixed >> 52 & (HASH_KEY_CACHE_SLOTS - 1)];
        if (slot->column == key_column && slot->value == value) {
            *key = slot->key;
            *is_null = false;
            return 0;
        }
    }
    strbuf_reset(&hasher->text);
    bool any = false;
    for (size_t i = 0; i < key_column->hash_part_count; i++) {
        if (i > 0) strbuf_append(&hasher->text, "||", 2);
        if (append_part(&hasher->text, batch, key_column->hash_parts[i], row)) any = true;
    }
    *is_null = !any;
    if (!any) return 0;
    if (hash_key_of_text(hasher, hasher->text.data, hasher->text.length, key) != 0) return -1;
    if (slot) *slot = (struct cached_key){key_column, batch->data[only].numbers[row], *key};
    return 0;
}
