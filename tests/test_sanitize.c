/* test_sanitize.c -- text from outside made safe for messages: control
 * characters escaped, cuts between UTF-8 characters, secrets in URLs hidden. */
#include "../src/util/sanitize.h"

#include <criterion/criterion.h>
#include <string.h>

/* True when text is well-formed UTF-8 with no byte below 0x20 or 0x7f. */
static bool clean_utf8(const char *text) {
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        if (*p < 0x20 || *p == 0x7f) return false;
        size_t length = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 0;
        if (length == 0) return false;
        for (size_t i = 1; i < length; i++)
            if ((p[i] & 0xc0) != 0x80) return false;
        p += length;
    }
    return true;
}

Test(sanitize, control_characters_are_escaped_and_text_stays_one_line) {
    char shown[256];
    cr_expect_str_eq(sanitize_text(shown, sizeof shown, "NOT FOUND\n\x1b[31mhacked\r\t\x7f\x01"),
                     "NOT FOUND\\n\\x1b[31mhacked\\r\\t\\x7f\\x01");
    cr_expect_str_eq(sanitize_text(shown, sizeof shown, "plain, Привет 数据 ✓"), "plain, Привет 数据 ✓");
    cr_expect_str_eq(sanitize_text(shown, sizeof shown, NULL), "");
}

Test(sanitize, bytes_that_are_not_utf8_and_invisible_controls_are_escaped) {
    char shown[256];
    /* a lone continuation byte, an overlong '/', a surrogate, a cut sequence */
    cr_expect_str_eq(sanitize_text(shown, sizeof shown, "a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xd0"),
                     "a\\x80b\\xc0\\xafc\\xed\\xa0\\x80d\\xd0");
    /* C1 CSI, RIGHT-TO-LEFT OVERRIDE, LINE SEPARATOR */
    cr_expect_str_eq(sanitize_text(shown, sizeof shown, "x\xc2\x9b" "31m\xe2\x80\xae" "y\xe2\x80\xa8z"),
                     "x\\u009b31m\\u202ey\\u2028z");
    cr_expect(clean_utf8(shown));
}

Test(sanitize, a_cut_falls_between_characters_and_is_marked) {
    char shown[12];
    /* "дддддддд" is 16 bytes: 11 fit, so 8 bytes of text (4 letters) and "..." */
    cr_expect_str_eq(sanitize_text(shown, sizeof shown, "дддддддд"), "дддд...");
    cr_expect(clean_utf8(shown));
    /* an escape is never cut in the middle either */
    cr_expect_str_eq(sanitize_text(shown, sizeof shown, "abcdef\x1b\x1b"), "abcdef...");
    cr_expect_str_eq(sanitize_text(shown, sizeof shown, "exactly 11b"), "exactly 11b");
    for (size_t size = 1; size <= 20; size++) {
        char small[20];
        sanitize_text(small, size, "ддд\nддд");
        cr_expect(strlen(small) < size && clean_utf8(small), "size %zu gave '%s'", size, small);
    }
}

Test(sanitize, user_info_in_urls_is_hidden) {
    char shown[256];
    cr_expect_str_eq(sanitize_url(shown, sizeof shown, "http://user:SECRET@example.com:8080/generate_report"),
                     "http://***@example.com:8080/generate_report");
    cr_expect_str_eq(sanitize_url(shown, sizeof shown, "https://SECRETONLY@storage.example/bucket/"),
                     "https://***@storage.example/bucket/");
    /* a password holding '/' or '@' is hidden whole */
    cr_expect_str_eq(sanitize_url(shown, sizeof shown, "http://u:se/cr@et@host/x?a=1"), "http://***@host/x?a=1");
    cr_expect_str_eq(sanitize_url(shown, sizeof shown, "http://127.0.0.1:9/get_report?task_id=task-1"),
                     "http://127.0.0.1:9/get_report?task_id=task-1");
    cr_expect_str_eq(sanitize_url(shown, sizeof shown, "s3://bucket/prefix/"), "s3://bucket/prefix/");
    cr_expect_str_eq(sanitize_url(shown, sizeof shown, "not a url\n"), "not a url\\n");
}

Test(sanitize, signed_query_values_are_hidden) {
    char shown[512];
    cr_expect_str_eq(sanitize_url(shown, sizeof shown,
                                  "https://s.example/b/k.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F1"
                                  "&X-Amz-Signature=abc123&X-Amz-Security-Token=tok&api_key=k#frag"),
                     "https://s.example/b/k.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***"
                     "&X-Amz-Signature=***&X-Amz-Security-Token=***&api_key=***#frag");
    cr_expect_str_eq(sanitize_url(shown, sizeof shown, "http://h/?list-type=2&max-keys=2&prefix=a%2F"),
                     "http://h/?list-type=2&max-keys=2&prefix=a%2F");
}

Test(sanitize, a_long_url_is_cut_between_characters) {
    char shown[24];
    sanitize_url(shown, sizeof shown, "http://user:SECRET@host/дддддддддддддддд");
    cr_expect(strstr(shown, "SECRET") == NULL && clean_utf8(shown), "%s", shown);
    cr_expect(strncmp(shown, "http://***@host/д", strlen("http://***@host/д")) == 0, "%s", shown);
    cr_expect(strcmp(shown + strlen(shown) - 3, "...") == 0, "%s", shown);
}

/* A server that echoes the API key it was sent: the message never shows it. */
Test(sanitize, a_known_secret_is_hidden_wherever_it_appears) {
    char text[] = "report API answered: 'bad key s3cr3t-key, s3cr3t-key!'";
    sanitize_hide_secret(text, "s3cr3t-key");
    cr_expect_str_eq(text, "report API answered: 'bad key ***, ***!'");
    char short_secret[] = "k=ab;ab";
    sanitize_hide_secret(short_secret, "ab");
    cr_expect_str_eq(short_secret, "k=**;**");
    char cut_short[] = "answer: 'key s3cr3t";   /* a message cut inside the key */
    sanitize_hide_secret(cut_short, "s3cr3t-key");
    cr_expect_str_eq(cut_short, "answer: 'key ***");
    char untouched[] = "nothing here";
    sanitize_hide_secret(untouched, "");
    sanitize_hide_secret(untouched, NULL);
    cr_expect_str_eq(untouched, "nothing here");
}
