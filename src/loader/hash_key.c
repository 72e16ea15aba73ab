/* hash_key.c -- see hash_key.h.
 *
 * A load needs several MD5 digests per row (dialogs: five keys, 2.5M
 * rows), each over a short text of one or a few 64-byte blocks: on a
 * digest that short, one MD5 at a time leaves most of the processor idle
 * (every step depends on the one before). So a batch's keys are hashed
 * 16 at a time, one message per 32-bit lane of AVX-512 registers (8 with
 * AVX2): the same RFC 1321 steps, run side by side. A processor with
 * neither hashes each message through OpenSSL's libcrypto (the implementation fetched once
 * per hasher: an implicit fetch at every digest would dominate short
 * keys); tests/test_hash_keys.c holds the two to the same digests. */
#include "hash_key.h"
#include "../util/memory.h"
#include "../util/strbuf.h"
#include "value.h"

#include <openssl/evp.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HASH_KEY_HAVE_AVX2 1
#else
#define HASH_KEY_HAVE_AVX2 0
#endif

#define HASH_KEY_CACHE_SLOTS 4096   /* a power of two */
#define HASH_KEY_LANES 16           /* 32-bit lanes of a 512-bit register */

/* A key of one integer part already computed: ids repeat across rows (a
 * group's 250 ids over millions of messages), and one MD5 costs more than
 * the rest of a row's parsing. */
struct cached_key {
    const struct column *column;   /* NULL: an empty slot */
    int64_t value;
    int64_t key;
};

/* A row whose key waits for its lane: its message, padded as MD5 pads it,
 * lies in the hasher's buffer. */
struct pending_key {
    size_t row;
    size_t offset;       /* of the message in `messages` */
    size_t length;       /* of the canonical text, before the padding */
    size_t blocks;       /* 64-byte blocks, padding included */
    struct cached_key *slot;   /* where the key is remembered, or NULL */
    int64_t value;             /* the slot's integer part */
};

struct hash_key_hasher {
    EVP_MD *md5;
    EVP_MD_CTX *context;
    int lanes;               /* messages hashed at once: 16 (AVX-512), 8 (AVX2), 1 (OpenSSL) */
    struct strbuf text;      /* the canonical text of a key hashed alone */
    struct strbuf messages;  /* the pending keys' padded messages */
    struct pending_key pending[HASH_KEY_LANES];
    size_t pending_count;
    struct cached_key cache[HASH_KEY_CACHE_SLOTS];  /* direct-mapped: a newer key evicts the slot's */
};

/* How many messages this processor hashes at once. */
static int processor_lanes(void) {
#if HASH_KEY_HAVE_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 16;
    if (__builtin_cpu_supports("avx2")) return 8;
#endif
    return 1;
}

/* A hasher for one thread hashing at most `lanes` messages at once (16,
 * 8, or 1: OpenSSL), fewer if the processor cannot (tests compare them). */
int hash_key_hasher_create_with(struct hash_key_hasher **hasher, int lanes, struct error *err) {
    struct hash_key_hasher *made = memory_calloc(1, sizeof *made);
    made->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    made->context = EVP_MD_CTX_new();
    made->lanes = processor_lanes();
    if (lanes < made->lanes) made->lanes = lanes >= 16 ? 16 : lanes >= 8 ? 8 : 1;
    strbuf_init(&made->text);
    strbuf_init(&made->messages);
    if (made->md5 == NULL || made->context == NULL) {
        hash_key_hasher_free(made);
        return error_set(err, "cannot compute hash keys: OpenSSL offers no MD5");
    }
    *hasher = made;
    return 0;
}

/* A hasher for one thread, hashing in lanes where the processor can. */
int hash_key_hasher_create(struct hash_key_hasher **hasher, struct error *err) {
    return hash_key_hasher_create_with(hasher, HASH_KEY_LANES, err);
}

/* How many messages the hasher hashes at once. */
int hash_key_hasher_lanes(const struct hash_key_hasher *hasher) {
    return hasher->lanes;
}

/* Frees the hasher. NULL is allowed. */
void hash_key_hasher_free(struct hash_key_hasher *hasher) {
    if (hasher == NULL) return;
    EVP_MD_CTX_free(hasher->context);
    EVP_MD_free(hasher->md5);
    strbuf_free(&hasher->text);
    strbuf_free(&hasher->messages);
    free(hasher);
}

/* The hash key of a digest's first 8 bytes, read big-endian as two's
 * complement. */
static int64_t key_of_digest(const unsigned char digest[8]) {
    uint64_t value = 0;
    for (int i = 0; i < 8; i++) value = value << 8 | digest[i];
    return (int64_t)value;
}

/* The hash key of a canonical text: MD5's first 8 bytes, big-endian, read
 * as two's complement (through OpenSSL). */
int hash_key_of_text(struct hash_key_hasher *hasher, const char *text, size_t length, int64_t *key) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    if (EVP_DigestInit_ex2(hasher->context, hasher->md5, NULL) != 1 ||
        EVP_DigestUpdate(hasher->context, text, length) != 1 ||
        EVP_DigestFinal_ex(hasher->context, digest, &digest_length) != 1 || digest_length < 8)
        return -1;
    *key = key_of_digest(digest);
    return 0;
}

#if HASH_KEY_HAVE_AVX2
/* RFC 1321: the additive constants, the rotations of each round, and
 * which message word each step reads. */
static const uint32_t md5_constants[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};
/* The 64 steps of one block, written out: each names its round's
 * function, the message word it reads and its rotation, and the registers
 * take turns as a, b, c, d. A kernel defines STEP and the functions F-I
 * for its registers. */
#define MD5_STEPS(STEP) \
    STEP(F, a, b, c, d, 0, 0, 7); \
    STEP(F, d, a, b, c, 1, 1, 12); \
    STEP(F, c, d, a, b, 2, 2, 17); \
    STEP(F, b, c, d, a, 3, 3, 22); \
    STEP(F, a, b, c, d, 4, 4, 7); \
    STEP(F, d, a, b, c, 5, 5, 12); \
    STEP(F, c, d, a, b, 6, 6, 17); \
    STEP(F, b, c, d, a, 7, 7, 22); \
    STEP(F, a, b, c, d, 8, 8, 7); \
    STEP(F, d, a, b, c, 9, 9, 12); \
    STEP(F, c, d, a, b, 10, 10, 17); \
    STEP(F, b, c, d, a, 11, 11, 22); \
    STEP(F, a, b, c, d, 12, 12, 7); \
    STEP(F, d, a, b, c, 13, 13, 12); \
    STEP(F, c, d, a, b, 14, 14, 17); \
    STEP(F, b, c, d, a, 15, 15, 22); \
    STEP(G, a, b, c, d, 1, 16, 5); \
    STEP(G, d, a, b, c, 6, 17, 9); \
    STEP(G, c, d, a, b, 11, 18, 14); \
    STEP(G, b, c, d, a, 0, 19, 20); \
    STEP(G, a, b, c, d, 5, 20, 5); \
    STEP(G, d, a, b, c, 10, 21, 9); \
    STEP(G, c, d, a, b, 15, 22, 14); \
    STEP(G, b, c, d, a, 4, 23, 20); \
    STEP(G, a, b, c, d, 9, 24, 5); \
    STEP(G, d, a, b, c, 14, 25, 9); \
    STEP(G, c, d, a, b, 3, 26, 14); \
    STEP(G, b, c, d, a, 8, 27, 20); \
    STEP(G, a, b, c, d, 13, 28, 5); \
    STEP(G, d, a, b, c, 2, 29, 9); \
    STEP(G, c, d, a, b, 7, 30, 14); \
    STEP(G, b, c, d, a, 12, 31, 20); \
    STEP(H, a, b, c, d, 5, 32, 4); \
    STEP(H, d, a, b, c, 8, 33, 11); \
    STEP(H, c, d, a, b, 11, 34, 16); \
    STEP(H, b, c, d, a, 14, 35, 23); \
    STEP(H, a, b, c, d, 1, 36, 4); \
    STEP(H, d, a, b, c, 4, 37, 11); \
    STEP(H, c, d, a, b, 7, 38, 16); \
    STEP(H, b, c, d, a, 10, 39, 23); \
    STEP(H, a, b, c, d, 13, 40, 4); \
    STEP(H, d, a, b, c, 0, 41, 11); \
    STEP(H, c, d, a, b, 3, 42, 16); \
    STEP(H, b, c, d, a, 6, 43, 23); \
    STEP(H, a, b, c, d, 9, 44, 4); \
    STEP(H, d, a, b, c, 12, 45, 11); \
    STEP(H, c, d, a, b, 15, 46, 16); \
    STEP(H, b, c, d, a, 2, 47, 23); \
    STEP(I, a, b, c, d, 0, 48, 6); \
    STEP(I, d, a, b, c, 7, 49, 10); \
    STEP(I, c, d, a, b, 14, 50, 15); \
    STEP(I, b, c, d, a, 5, 51, 21); \
    STEP(I, a, b, c, d, 12, 52, 6); \
    STEP(I, d, a, b, c, 3, 53, 10); \
    STEP(I, c, d, a, b, 10, 54, 15); \
    STEP(I, b, c, d, a, 1, 55, 21); \
    STEP(I, a, b, c, d, 8, 56, 6); \
    STEP(I, d, a, b, c, 15, 57, 10); \
    STEP(I, c, d, a, b, 6, 58, 15); \
    STEP(I, b, c, d, a, 13, 59, 21); \
    STEP(I, a, b, c, d, 4, 60, 6); \
    STEP(I, d, a, b, c, 11, 61, 10); \
    STEP(I, c, d, a, b, 2, 62, 15); \
    STEP(I, b, c, d, a, 9, 63, 21);

/* Gathers block `block` of each lane's message into 16 rows of lanes
 * (words[w][lane]: word w of the lane's block), zeros for a lane past its
 * message's end, and says which lanes take part. */
static void transpose_block(const unsigned char *messages, const struct pending_key *pending, size_t count, size_t block,
                            size_t lanes, uint32_t *words, int32_t *active) {
    for (size_t lane = 0; lane < lanes; lane++) {
        active[lane] = lane < count && block < pending[lane].blocks ? -1 : 0;
        if (!active[lane]) {
            for (size_t w = 0; w < 16; w++) words[w * lanes + lane] = 0;
            continue;
        }
        const unsigned char *bytes = messages + pending[lane].offset + 64 * block;
        for (size_t w = 0; w < 16; w++) memcpy(&words[w * lanes + lane], bytes + 4 * w, 4);   /* little-endian words */
    }
}

/* The longest message's blocks. */
static size_t most_blocks(const struct pending_key *pending, size_t count) {
    size_t most = 0;
    for (size_t lane = 0; lane < count; lane++)
        if (pending[lane].blocks > most) most = pending[lane].blocks;
    return most;
}

/* The keys of the lanes' digests, whose first two state words (a and b,
 * little-endian) hold the digest's first 8 bytes. */
static void keys_of_state(const uint32_t *first, const uint32_t *second, size_t count, int64_t *keys) {
    for (size_t lane = 0; lane < count; lane++) {
        unsigned char digest[8];
        memcpy(digest, &first[lane], 4);
        memcpy(digest + 4, &second[lane], 4);
        keys[lane] = key_of_digest(digest);
    }
}

/* AVX2: 8 lanes; a = b + ((a + f(b, c, d) + word + constant) <<< s). */
#define F(b, c, d) _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d)))
#define G(b, c, d) _mm256_xor_si256(c, _mm256_and_si256(d, _mm256_xor_si256(b, c)))
#define H(b, c, d) _mm256_xor_si256(_mm256_xor_si256(b, c), d)
#define I(b, c, d) _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, _mm256_set1_epi32(-1))))
#define STEP(f, a, b, c, d, word, step, s)                                                                        \
    do {                                                                                                          \
        __m256i sum = _mm256_add_epi32(_mm256_add_epi32(a, f(b, c, d)),                                           \
                                       _mm256_add_epi32(words[word], _mm256_set1_epi32((int)md5_constants[step]))); \
        a = _mm256_add_epi32(b, _mm256_or_si256(_mm256_slli_epi32(sum, s), _mm256_srli_epi32(sum, 32 - (s))));   \
    } while (0)

/* MD5 of up to 8 padded messages at once, the first 8 bytes of each
 * digest as a key. A lane whose message has fewer blocks than the longest
 * keeps its state through the others' remaining blocks. */
__attribute__((target("avx2")))
static void md5_lanes_avx2(const unsigned char *messages, const struct pending_key *pending, size_t count, int64_t *keys) {
    __m256i a = _mm256_set1_epi32(0x67452301), b = _mm256_set1_epi32((int)0xefcdab89),
            c = _mm256_set1_epi32((int)0x98badcfe), d = _mm256_set1_epi32(0x10325476);
    size_t blocks = most_blocks(pending, count);
    for (size_t block = 0; block < blocks; block++) {
        uint32_t transposed[16 * 8] __attribute__((aligned(32)));
        int32_t active[8] __attribute__((aligned(32)));
        transpose_block(messages, pending, count, block, 8, transposed, active);
        __m256i words[16];
        for (size_t w = 0; w < 16; w++) words[w] = _mm256_load_si256((const __m256i *)&transposed[8 * w]);
        const __m256i mask = _mm256_load_si256((const __m256i *)active);
        const __m256i a0 = a, b0 = b, c0 = c, d0 = d;
        MD5_STEPS(STEP);
        a = _mm256_blendv_epi8(a0, _mm256_add_epi32(a, a0), mask);
        b = _mm256_blendv_epi8(b0, _mm256_add_epi32(b, b0), mask);
        c = _mm256_blendv_epi8(c0, _mm256_add_epi32(c, c0), mask);
        d = _mm256_blendv_epi8(d0, _mm256_add_epi32(d, d0), mask);
    }
    uint32_t first[8] __attribute__((aligned(32))), second[8] __attribute__((aligned(32)));
    _mm256_store_si256((__m256i *)first, a);
    _mm256_store_si256((__m256i *)second, b);
    keys_of_state(first, second, count, keys);
}
#undef F
#undef G
#undef H
#undef I
#undef STEP

/* AVX-512: 16 lanes, each round's function one ternary-logic instruction
 * (its truth table as the immediate) and the rotation one instruction. */
#define F(b, c, d) _mm512_ternarylogic_epi32(b, c, d, 0xCA)   /* b ? c : d */
#define G(b, c, d) _mm512_ternarylogic_epi32(d, b, c, 0xCA)   /* d ? b : c */
#define H(b, c, d) _mm512_ternarylogic_epi32(b, c, d, 0x96)   /* b ^ c ^ d */
#define I(b, c, d) _mm512_ternarylogic_epi32(b, c, d, 0x39)   /* c ^ (b | ~d) */
#define STEP(f, a, b, c, d, word, step, s)                                                                        \
    do {                                                                                                          \
        __m512i sum = _mm512_add_epi32(_mm512_add_epi32(a, f(b, c, d)),                                           \
                                       _mm512_add_epi32(words[word], _mm512_set1_epi32((int)md5_constants[step]))); \
        a = _mm512_add_epi32(b, _mm512_rol_epi32(sum, s));                                                        \
    } while (0)

/* As md5_lanes_avx2, 16 messages at once. */
__attribute__((target("avx512f")))
static void md5_lanes_avx512(const unsigned char *messages, const struct pending_key *pending, size_t count, int64_t *keys) {
    __m512i a = _mm512_set1_epi32(0x67452301), b = _mm512_set1_epi32((int)0xefcdab89),
            c = _mm512_set1_epi32((int)0x98badcfe), d = _mm512_set1_epi32(0x10325476);
    size_t blocks = most_blocks(pending, count);
    for (size_t block = 0; block < blocks; block++) {
        uint32_t transposed[16 * 16] __attribute__((aligned(64)));
        int32_t active[16];
        transpose_block(messages, pending, count, block, 16, transposed, active);
        __m512i words[16];
        for (size_t w = 0; w < 16; w++) words[w] = _mm512_load_si512(&transposed[16 * w]);
        __mmask16 mask = 0;
        for (unsigned lane = 0; lane < 16; lane++) mask |= (__mmask16)((active[lane] ? 1u : 0u) << lane);
        const __m512i a0 = a, b0 = b, c0 = c, d0 = d;
        MD5_STEPS(STEP);
        a = _mm512_mask_add_epi32(a0, mask, a, a0);
        b = _mm512_mask_add_epi32(b0, mask, b, b0);
        c = _mm512_mask_add_epi32(c0, mask, c, c0);
        d = _mm512_mask_add_epi32(d0, mask, d, d0);
    }
    uint32_t first[16] __attribute__((aligned(64))), second[16] __attribute__((aligned(64)));
    _mm512_store_si512(first, a);
    _mm512_store_si512(second, b);
    keys_of_state(first, second, count, keys);
}
#undef F
#undef G
#undef H
#undef I
#undef STEP
#undef MD5_STEPS
#endif

/* Appends MD5's padding to the message that starts at offset: 0x80,
 * zeros up to 56 bytes into a block, the length in bits (little-endian).
 * Returns the message's blocks. */
static size_t pad_message(struct strbuf *messages, size_t offset, size_t length) {
    static const unsigned char zeros[64] = {0};
    strbuf_append_char(messages, (char)0x80);
    size_t used = (messages->length - offset) % 64;
    strbuf_append(messages, (const char *)zeros, used <= 56 ? 56 - used : 120 - used);
    uint64_t bits = (uint64_t)length * 8;
    unsigned char encoded[8];
    for (int i = 0; i < 8; i++) encoded[i] = (unsigned char)(bits >> (8 * i));
    strbuf_append(messages, (const char *)encoded, 8);
    return (messages->length - offset) / 64;
}

/* Computes the pending keys into the batch column (and their cache
 * slots), and empties the lanes. */
static int flush_pending(struct hash_key_hasher *hasher, struct batch *batch, size_t column) {
    int64_t keys[HASH_KEY_LANES];
    if (hasher->pending_count == 0) return 0;
#if HASH_KEY_HAVE_AVX2
    const unsigned char *messages = (const unsigned char *)hasher->messages.data;
    if (hasher->lanes == 16) md5_lanes_avx512(messages, hasher->pending, hasher->pending_count, keys);
    else if (hasher->lanes == 8) md5_lanes_avx2(messages, hasher->pending, hasher->pending_count, keys);
    else
#endif
        for (size_t lane = 0; lane < hasher->pending_count; lane++)
            if (hash_key_of_text(hasher, hasher->messages.data + hasher->pending[lane].offset, hasher->pending[lane].length,
                                 &keys[lane]) != 0)
                return -1;
    for (size_t lane = 0; lane < hasher->pending_count; lane++) {
        const struct pending_key *pending = &hasher->pending[lane];
        batch->data[column].numbers[pending->row] = keys[lane];
        if (pending->slot) *pending->slot = (struct cached_key){&batch->columns[column], pending->value, keys[lane]};
    }
    hasher->pending_count = 0;
    strbuf_reset(&hasher->messages);
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

/* The key cache slot of a single integer part, and whether it holds the
 * key already (then in *key). */
static struct cached_key *cache_slot(struct hash_key_hasher *hasher, const struct column *key_column, int64_t value,
                                     int64_t *key, bool *hit) {
    uint64_t mixed = ((uint64_t)value ^ (uint64_t)(uintptr_t)key_column) * UINT64_C(0x9E3779B97F4A7C15);
    struct cached_key *slot = &hasher->cache[mixed >> 52 & (HASH_KEY_CACHE_SLOTS - 1)];
    *hit = slot->column == key_column && slot->value == value;
    if (*hit) *key = slot->key;
    return slot;
}

/* Writes the canonical text of a row's key (its parts joined by ||) at
 * the end of out; false when every part is NULL. */
static bool append_key_text(struct strbuf *out, const struct batch *batch, size_t row, const struct column *key_column) {
    bool any = false;
    for (size_t i = 0; i < key_column->hash_part_count; i++) {
        if (i > 0) strbuf_append(out, "||", 2);
        if (append_part(out, batch, key_column->hash_parts[i], row)) any = true;
    }
    return any;
}

/* The key key_column declares over one row's parts (already in the
 * batch), computed alone; *is_null when every part is NULL. */
int hash_key_of_row(struct hash_key_hasher *hasher, const struct batch *batch, size_t row, const struct column *key_column,
                    int64_t *key, bool *is_null) {
    struct cached_key *slot = NULL;
    size_t only = key_column->hash_parts[0];
    int64_t value = 0;
    if (key_column->hash_part_count == 1 && batch->columns[only].type == COLUMN_INTEGER && !batch->data[only].is_null[row]) {
        bool hit;
        value = batch->data[only].numbers[row];
        slot = cache_slot(hasher, key_column, value, key, &hit);
        if (hit) {
            *is_null = false;
            return 0;
        }
    }
    strbuf_reset(&hasher->text);
    *is_null = !append_key_text(&hasher->text, batch, row, key_column);
    if (*is_null) return 0;
    if (hash_key_of_text(hasher, hasher->text.data, hasher->text.length, key) != 0) return -1;
    if (slot) *slot = (struct cached_key){key_column, value, *key};
    return 0;
}

/* Fills the key column of every row of the batch from the rows' parts:
 * a cached key at once, a NULL key where every part is NULL, the others
 * HASH_KEY_LANES at a time. */
int hash_key_fill_column(struct hash_key_hasher *hasher, struct batch *batch, size_t column) {
    const struct column *key_column = &batch->columns[column];
    struct batch_column *out = &batch->data[column];
    size_t only = key_column->hash_parts[0];
    bool cacheable = key_column->hash_part_count == 1 && batch->columns[only].type == COLUMN_INTEGER;
    hasher->pending_count = 0;
    strbuf_reset(&hasher->messages);
    for (size_t row = 0; row < batch->row_count; row++) {
        struct pending_key pending = {.row = row};
        if (cacheable && !batch->data[only].is_null[row]) {
            bool hit;
            pending.value = batch->data[only].numbers[row];
            pending.slot = cache_slot(hasher, key_column, pending.value, &out->numbers[row], &hit);
            if (hit) {
                out->is_null[row] = 0;
                continue;
            }
        }
        pending.offset = hasher->messages.length;
        bool any = append_key_text(&hasher->messages, batch, row, key_column);
        out->is_null[row] = !any;
        if (!any) {
            hasher->messages.length = pending.offset;
            continue;
        }
        pending.length = hasher->messages.length - pending.offset;
        pending.blocks = pad_message(&hasher->messages, pending.offset, pending.length);
        hasher->pending[hasher->pending_count++] = pending;
        if (hasher->pending_count == (size_t)hasher->lanes && flush_pending(hasher, batch, column) != 0) return -1;
    }
    return flush_pending(hasher, batch, column);
}
