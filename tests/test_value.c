/* test_value.c -- field validation and conversion. */
#include "../src/loader/value.h"
#include "../src/util/strbuf.h"
#include "../src/util/utf8.h"

#include <criterion/criterion.h>
#include <string.h>

static int integer(const char *text, int64_t *value) { return value_parse_integer(text, strlen(text), value); }

Test(value, integers_accept_signs_and_reject_junk_and_overflow) {
    int64_t value;
    cr_expect_eq(integer("42", &value), 0);
    cr_expect_eq(value, 42);
    cr_expect_eq(integer("-9223372036854775808", &value), 0);
    cr_expect_eq(value, INT64_MIN);
    cr_expect_eq(integer("9223372036854775807", &value), 0);
    cr_expect_eq(integer("9223372036854775808", &value), -1);
    cr_expect_eq(integer("1.0", &value), -1);
    cr_expect_eq(integer("12a", &value), -1);
    cr_expect_eq(integer("-", &value), -1);
    cr_expect_eq(integer(" 1", &value), -1);
}

Test(value, decimals_are_scaled_and_never_rounded) {
    int64_t value;
    cr_expect_eq(value_parse_decimal("135", 3, 10, 2, &value), 0);
    cr_expect_eq(value, 13500);
    cr_expect_eq(value_parse_decimal("-1.5", 4, 10, 2, &value), 0);
    cr_expect_eq(value, -150);
    cr_expect_eq(value_parse_decimal("1.555", 5, 10, 2, &value), -1, "three decimals into scale 2");
    cr_expect_eq(value_parse_decimal("123456789", 9, 10, 2, &value), -1, "9 integer digits exceed precision 10");
    cr_expect_eq(value_parse_decimal(".", 1, 10, 2, &value), -1);
}

Test(value, timestamps_take_both_separators_and_optional_fractions) {
    int64_t micros;
    cr_expect_eq(value_parse_timestamp("1970-01-01 00:00:01", 19, &micros), 0);
    cr_expect_eq(micros, 1000000);
    cr_expect_eq(value_parse_timestamp("2021-02-10T05:31:20.990338", 26, &micros), 0);
    cr_expect_eq(micros, INT64_C(1612935080990338));
    cr_expect_eq(value_parse_timestamp("2021-02-10 05:31:20.5", 21, &micros), 0);
    cr_expect_eq(micros % 1000000, 500000);
    cr_expect_eq(value_parse_timestamp("2021-02-29 00:00:00", 19, &micros), -1, "not a leap year");
    cr_expect_eq(value_parse_timestamp("2020-02-29 00:00:00", 19, &micros), 0, "a leap year");
    cr_expect_eq(value_parse_timestamp("2021-01-01 24:00:00", 19, &micros), -1);
    cr_expect_eq(value_parse_timestamp("2021-01-01 10:00:00.1234567", 27, &micros), -1);
    cr_expect_eq(value_parse_timestamp("2021-01-01", 10, &micros), -1);
}

Test(value, dates_round_trip_through_days) {
    int64_t days;
    cr_expect_eq(value_parse_date("2024-02-25", 10, &days), 0);
    int year, month, day;
    value_civil_from_days(days, &year, &month, &day);
    cr_expect(year == 2024 && month == 2 && day == 25);
    cr_expect_eq(value_parse_date("1969-12-31", 10, &days), 0);
    cr_expect_eq(days, -1);
    cr_expect_eq(value_parse_date("2024-2-25", 9, &days), -1);
}

Test(value, booleans) {
    int64_t flag;
    cr_expect(value_parse_boolean("TRUE", 4, &flag) == 0 && flag == 1);
    cr_expect(value_parse_boolean("0", 1, &flag) == 0 && flag == 0);
    cr_expect_eq(value_parse_boolean("2", 1, &flag), -1);
}

Test(value, text_must_be_utf8_and_the_limit_counts_characters) {
    const struct column text = {.name = "t", .type = COLUMN_TEXT, .max_length = 6};
    char reason[VALUE_REASON_SIZE];
    int64_t unused;
    cr_expect_eq(value_parse(&text, "привет", strlen("привет"), &unused, reason), 0, "6 characters in 12 bytes");
    cr_expect_eq(value_parse(&text, "caf\xe9", 4, &unused, reason), -1);
    cr_expect_str_eq(reason, "invalid UTF-8");
}

/* Issue 11, item 3: the value shown in a reason was cut at 40 bytes,
 * splitting a Cyrillic character, and the warehouse refused the reason. */
Test(value, a_reason_cuts_the_value_between_characters) {
    const struct column integer_column = {.name = "id", .type = COLUMN_INTEGER};
    struct strbuf value;
    strbuf_init(&value);
    strbuf_append_string(&value, "1");
    for (int i = 0; i < 30; i++) strbuf_append_string(&value, "д");
    char reason[VALUE_REASON_SIZE];
    int64_t unused;
    cr_assert_eq(value_parse(&integer_column, value.data, value.length, &unused, reason), -1);
    cr_expect(utf8_is_valid(reason, strlen(reason)), "reason is valid UTF-8: %s", reason);
    cr_expect_str_eq(reason, "not an integer: '1ддддддддддддддддддд...'", "at most 40 bytes: 1 + 19 whole characters");
    strbuf_free(&value);
}

/* Issue 11, item 4: DuckDB kept "a<NUL>b" and showed "a"; PostgreSQL
 * failed the whole load. A NUL is a reject in any column type. */
Test(value, a_nul_byte_is_rejected_in_every_type) {
    const struct column columns[] = {
        {.name = "t", .type = COLUMN_TEXT}, {.name = "i", .type = COLUMN_INTEGER},
        {.name = "e", .type = COLUMN_TEXT, .accepted_values = (char *[]){"a"}, .accepted_count = 1},
    };
    char reason[VALUE_REASON_SIZE];
    int64_t unused;
    for (size_t i = 0; i < sizeof columns / sizeof *columns; i++) {
        cr_expect_eq(value_parse(&columns[i], "a\0b", 3, &unused, reason), -1, "column %s", columns[i].name);
        cr_expect(strstr(reason, "NUL byte") != NULL, "column %s: %s", columns[i].name, reason);
    }
}
