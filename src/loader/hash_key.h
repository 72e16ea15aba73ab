/* hash_key.h -- Data Vault hash keys computed in C while the row is in hand
 * ("hash in the stage"), bit-identical to the SQL definition of
 * docs/semantics.md: the first 8 bytes of MD5 over the canonical key text,
 * read big-endian as a signed 64-bit integer.
 *
 * The canonical text of one part: an integer in decimal, a boolean as
 * true/false, a date as YYYY-MM-DD, a text with its leading and trailing
 * ASCII spaces (U+0020 only) removed, NULL as ^^; the parts of a composite
 * key joined by ||. A key whose parts are all NULL is NULL. One hasher per
 * thread: it owns an MD5 context and its buffers. A loader fills a whole
 * batch's key column at once (hash_key_fill_column), which hashes 16 keys
 * side by side where the processor has AVX-512, 8 with AVX2. */
#ifndef MARTLET_HASH_KEY_H
#define MARTLET_HASH_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/error.h"
#include "../warehouse/batch.h"

struct hash_key_hasher;

int hash_key_hasher_create(struct hash_key_hasher **hasher, struct error *err);
int hash_key_hasher_create_with(struct hash_key_hasher **hasher, int lanes, struct error *err);
int hash_key_hasher_lanes(const struct hash_key_hasher *hasher);
void hash_key_hasher_free(struct hash_key_hasher *hasher);
int hash_key_of_text(struct hash_key_hasher *hasher, const char *text, size_t length, int64_t *key);
int hash_key_of_row(struct hash_key_hasher *hasher, const struct batch *batch, size_t row, const struct column *key_column,
                    int64_t *key, bool *is_null);
int hash_key_fill_column(struct hash_key_hasher *hasher, struct batch *batch, size_t column);

#endif
