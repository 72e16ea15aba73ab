/* test_fuzz_findings.c -- defects the fuzz harnesses (tests/fuzz) found in
 * the cron parser and the template renderer, each pinned by a test. */
#include "../src/engine/cron.h"
#include "../src/engine/template.h"
#include "../src/util/utf8.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* "1/2147483647" once overflowed `value + step` (UBSan: signed overflow). */
Test(cron_limits, a_huge_step_fires_once_at_the_start) {
    struct cron cron;
    struct error err;
    cr_assert_eq(cron_parse("1/2147483647 * * * *", &cron, &err), 0, "%s", err.message);
    cr_expect_eq(cron.minutes, UINT64_C(1) << 1);
}

/* A step was read as long and cut to int: 4294967297 became 1, every minute. */
Test(cron_limits, a_step_past_int_is_not_cut_to_a_small_one) {
    struct cron cron;
    struct error err;
    cr_assert_eq(cron_parse("*/4294967297 * * * *", &cron, &err), 0, "%s", err.message);
    cr_expect_eq(cron.minutes, UINT64_C(1), "only minute 0 fires, not every minute");
}

/* Fields were copied into 64 bytes: a list of every minute lost its tail. */
Test(cron_limits, a_long_list_keeps_every_item) {
    char text[512] = "";
    for (int minute = 0; minute < 60; minute++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%d", minute ? "," : "", minute);
    strcat(text, " * * * *");
    struct cron cron;
    struct error err;
    cr_assert_eq(cron_parse(text, &cron, &err), 0, "%s", err.message);
    cr_expect_eq(cron.minutes, (UINT64_C(1) << 60) - 1, "minutes 0-59 all fire");
}

/* The same 64-byte copy cut a Cyrillic field inside a character, and the
 * error message quoting it was no longer valid UTF-8. */
Test(cron_limits, an_error_about_a_long_field_is_valid_utf8) {
    char text[256] = "";
    for (int i = 0; i < 40; i++) strcat(text, "\xd0\xb4");   /* д */
    strcat(text, " * * * *");
    struct cron cron;
    struct error err;
    cr_assert_eq(cron_parse(text, &cron, &err), -1);
    cr_expect(utf8_is_valid(err.message, strlen(err.message)), "not UTF-8: %s", err.message);
}

/* A long unknown name filled the message, which was cut inside a character. */
Test(template_limits, an_unknown_long_name_gives_a_valid_utf8_error) {
    char text[1400] = "{{ x";
    for (int i = 0; i < 600; i++) strcat(text, "\xd0\xb4");
    strcat(text, " }}");
    struct template_variable variables[] = {{"dds", "dds"}};
    struct strbuf out;
    strbuf_init(&out);
    struct error err;
    cr_assert_eq(template_render(text, variables, 1, &out, &err), -1);
    cr_expect(utf8_is_valid(err.message, strlen(err.message)), "not UTF-8: %s", err.message);
    cr_expect(strstr(err.message, "unknown template variable 'x") != NULL, "%s", err.message);
    strbuf_free(&out);
}
