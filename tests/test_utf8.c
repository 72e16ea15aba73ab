/* test_utf8.c -- checking and cutting UTF-8 (src/util/utf8.c), and the
 * texts cut with it: error messages. */
#include "../src/util/error.h"
#include "../src/util/utf8.h"

#include <criterion/criterion.h>
#include <string.h>

static bool valid(const char *text) { return utf8_is_valid(text, strlen(text)); }

Test(utf8, well_formed_text_is_told_from_every_kind_of_malformed) {
    cr_expect(valid(""));
    cr_expect(valid("plain ascii, longer than eight bytes"));
    cr_expect(valid("привет, 世界, 🙂"));
    cr_expect(utf8_is_valid("a\0b", 3), "NUL is well-formed UTF-8");
    cr_expect(!valid("caf\xe9"), "latin-1 byte");
    cr_expect(!valid("\xc0\xaf"), "overlong two-byte form");
    cr_expect(!valid("\xe0\x80\xaf"), "overlong three-byte form");
    cr_expect(!valid("\xf0\x80\x80\xaf"), "overlong four-byte form");
    cr_expect(!valid("\xed\xa0\x80"), "surrogate");
    cr_expect(!valid("\xf4\x90\x80\x80"), "past U+10FFFF");
    cr_expect(!valid("\xf5\x80\x80\x80"), "lead byte past F4");
    cr_expect(!valid("\xe2\x82"), "truncated at the end");
    cr_expect(!valid("\xe2\x82z"), "truncated by an ASCII byte");
    cr_expect(!valid("\x80"), "lone continuation byte");
    cr_expect(valid("\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf"), "U+D7FF, U+E000, U+10FFFF are fine");
}

Test(utf8, the_ascii_fast_path_finds_a_bad_byte_at_any_position) {
    char text[40];
    for (size_t at = 0; at < sizeof text; at++) {
        memset(text, 'a', sizeof text);
        text[at] = (char)0xff;
        cr_expect_eq(utf8_valid_prefix(text, sizeof text), at, "bad byte at %zu", at);
        cr_expect_eq(utf8_length(text, sizeof text), -1);
    }
    memset(text, 'a', sizeof text);
    cr_expect_eq(utf8_length(text, sizeof text), 40);
    cr_expect_eq(utf8_length("aaaaaaaaaприветaaaaaaaa", strlen("aaaaaaaaaприветaaaaaaaa")), 23);
}

Test(utf8, truncation_never_splits_a_character) {
    const char *text = "aд€🙂";   /* 1 + 2 + 3 + 4 bytes */
    size_t length = strlen(text);
    size_t expected[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 10};
    for (size_t limit = 0; limit < sizeof expected / sizeof *expected; limit++)
        cr_expect_eq(utf8_truncate(text, length, limit), expected[limit], "limit %zu", limit);
}

Test(utf8, formatting_into_a_small_buffer_cuts_between_characters) {
    char buffer[6];
    cr_expect_eq(utf8_format(buffer, sizeof buffer, "%s", "дддд"), 4);
    cr_expect_str_eq(buffer, "дд", "5 bytes would split the third character");
    cr_expect_eq(utf8_format(buffer, sizeof buffer, "%s", "ab"), 2);
    cr_expect_str_eq(buffer, "ab");
}

/* Issue 11, item 3: a message cut by the error buffer must end on a
 * character boundary, also when context is put in front of it. */
Test(utf8, error_messages_cut_by_the_buffer_stay_valid) {
    char long_text[3 * ERROR_MESSAGE_SIZE];
    size_t used = 0;
    while (used + 2 < sizeof long_text) { memcpy(long_text + used, "д", 2); used += 2; }
    long_text[used] = '\0';
    struct error err;
    for (int shift = 0; shift < 2; shift++) {
        error_set(&err, "%.*s%s", shift, "x", long_text);
        cr_expect(valid(err.message), "error_set, shifted by %d", shift);
        cr_expect_gt(strlen(err.message), ERROR_MESSAGE_SIZE - 4);
        error_set(&err, "%s", long_text);
        error_prefix(&err, "%.*s", shift + 1, "yy");
        cr_expect(valid(err.message), "error_prefix, shifted by %d", shift);
    }
}

Test(utf8, escaped_copies_show_invalid_bytes_and_fit_their_buffer) {
    char out[16];
    cr_expect_eq(utf8_copy_escaped(out, sizeof out, "caf\xe9 д", 7), 10);
    cr_expect_str_eq(out, "caf\\xE9 д");
    cr_expect_eq(utf8_copy_escaped(out, 8, "ab\xff\xff", 4), 6, "an escape is never cut");
    cr_expect_str_eq(out, "ab\\xFF");
    cr_expect_eq(utf8_copy_escaped(out, 6, "abcдд", strlen("abcдд")), 5);
    cr_expect_str_eq(out, "abcд");
}

/* Text from outside (a server's reply, a file name) may hold any bytes;
 * a message is valid UTF-8 all the same. */
Test(utf8, error_messages_with_invalid_bytes_show_them_escaped) {
    struct error err;
    error_set(&err, "server said: %s", "caf\xe9");
    cr_expect_str_eq(err.message, "server said: caf\\xE9");
    error_prefix(&err, "fetching %s", "r\xc3");
    cr_expect_str_eq(err.message, "fetching r\\xC3: server said: caf\\xE9");
}
