/* utf8.c -- see utf8.h. */
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define UTF8_HIGH_BITS UINT64_C(0x8080808080808080)

/* True for the bytes 10xxxxxx that continue a multi-byte sequence. */
static bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

/* The length of the well-formed multi-byte sequence at bytes (lead byte
 * >= 0x80), or 0 if it is not one. The second byte's range depends on the
 * lead byte: that is what excludes overlong forms, surrogates and code
 * points past U+10FFFF (Unicode table 3-7). */
static size_t sequence_length(const unsigned char *bytes, size_t available) {
    unsigned char lead = bytes[0];
    size_t length;
    unsigned char second_low = 0x80, second_high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) length = 2;
    else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_low = 0xA0;
        else if (lead == 0xED) second_high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_low = 0x90;
        else if (lead == 0xF4) second_high = 0x8F;
    } else {
        return 0;
    }
    if (available < length || bytes[1] < second_low || bytes[1] > second_high) return 0;
    for (size_t i = 2; i < length; i++)
        if (!is_continuation(bytes[i])) return 0;
    return length;
}

/* Walks the well-formed prefix of text, counting its characters; returns
 * the prefix's length in bytes. ASCII runs go eight bytes per step: a word
 * with no high bit set holds eight one-byte characters; runs of two-byte
 * characters (Cyrillic, Greek, most accented Latin) are taken without the
 * general sequence check, their lead byte being C2-DF and nothing more. */
static size_t scan(const char *text, size_t length, size_t *characters) {
    const unsigned char *bytes = (const unsigned char *)text;
    size_t i = 0, count = 0;
    while (i < length) {
        while (length - i >= 8) {
            uint64_t word;
            memcpy(&word, bytes + i, sizeof word);
            if (word & UTF8_HIGH_BITS) break;
            i += 8;
            count += 8;
        }
        while (i < length && bytes[i] < 0x80) { i++; count++; }
        while (length - i >= 2 && bytes[i] >= 0xC2 && bytes[i] <= 0xDF && is_continuation(bytes[i + 1])) {
            i += 2;
            count++;
        }
        if (i == length) break;
        if (bytes[i] < 0x80) continue;
        size_t sequence = sequence_length(bytes + i, length - i);
        if (sequence == 0) break;
        i += sequence;
        count++;
    }
    *characters = count;
    return i;
}

/* True if all of text is well-formed UTF-8. */
bool utf8_is_valid(const char *text, size_t length) {
    size_t characters;
    return scan(text, length, &characters) == length;
}

/* The length in bytes of the longest well-formed prefix of text: where the
 * first invalid byte is, or length if there is none. */
size_t utf8_valid_prefix(const char *text, size_t length) {
    size_t characters;
    return scan(text, length, &characters);
}

/* The number of characters of well-formed text, or -1 if it is not. */
long utf8_length(const char *text, size_t length) {
    size_t characters;
    if (scan(text, length, &characters) != length) return -1;
    return (long)characters;
}

/* The longest prefix of text no longer than limit bytes that does not end
 * inside a multi-byte sequence: a cut that would split a character moves
 * back to the character's start. The text is not otherwise checked (a cut
 * never makes valid text invalid, nor repairs invalid text). */
size_t utf8_truncate(const char *text, size_t length, size_t limit) {
    if (length <= limit) return length;
    const unsigned char *bytes = (const unsigned char *)text;
    /* The last lead byte among the final four bytes of the prefix decides:
     * if its sequence needs more bytes than the prefix still has, drop it. */
    for (size_t back = 1; back <= 4 && back <= limit; back++) {
        unsigned char byte = bytes[limit - back];
        if (is_continuation(byte)) continue;
        size_t needed = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
        return needed > back ? limit - back : limit;
    }
    return limit;
}

/* Copies text into out (size bytes, NUL-terminated) with every byte that
 * is not part of well-formed UTF-8 written as \xNN, so text of unknown
 * origin (a server's reply, a file name) becomes valid text without
 * losing what the bytes were. Cut between characters, and never inside
 * an escape, when out is too small. Returns the length written. */
size_t utf8_copy_escaped(char *out, size_t size, const char *text, size_t length) {
    if (size == 0) return 0;
    size_t used = 0, i = 0;
    while (i < length) {
        size_t valid = utf8_valid_prefix(text + i, length - i);
        size_t room = size - 1 - used;
        if (valid > room) {
            size_t kept = utf8_truncate(text + i, valid, room);
            memcpy(out + used, text + i, kept);
            used += kept;
            break;
        }
        memcpy(out + used, text + i, valid);
        used += valid;
        i += valid;
        if (i == length) break;
        if (size - 1 - used < 4) break;
        snprintf(out + used, 5, "\\x%02X", (unsigned char)text[i++]);
        used += 4;
    }
    out[used] = '\0';
    return used;
}

/* vsnprintf into buffer, but a message longer than the buffer is cut at a
 * character boundary rather than mid-sequence. Returns the length kept. */
size_t utf8_vformat(char *buffer, size_t size, const char *format, va_list args) {
    if (size == 0) return 0;
    int wanted = vsnprintf(buffer, size, format, args);
    if (wanted < 0) {
        buffer[0] = '\0';
        return 0;
    }
    if ((size_t)wanted < size) return (size_t)wanted;
    /* Truncated: what the next byte would have been is lost, so the kept
     * prefix is judged on its own (utf8_truncate looks only backwards). */
    size_t kept = utf8_truncate(buffer, size, size - 1);
    buffer[kept] = '\0';
    return kept;
}

/* utf8_vformat with its arguments inline. */
size_t utf8_format(char *buffer, size_t size, const char *format, ...) {
    va_list args;
    va_start(args, format);
    size_t kept = utf8_vformat(buffer, size, format, args);
    va_end(args);
    return kept;
}
