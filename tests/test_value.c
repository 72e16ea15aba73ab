/* test_value.c -- field validation and conversion. */
#include "../src/loader/value.h"

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

Test(value, booleans_and_utf8) {
    int64_t flag;
    cr_expect(value_parse_boolean("TRUE", 4, &flag) == 0 && flag == 1);
    cr_expect(value_parse_boolean("0", 1, &flag) == 0 && flag == 0);
    cr_expect_eq(value_parse_boolean("2", 1, &flag), -1);
    cr_expect_eq(value_utf8_length("привет", strlen("привет")), 6);
    cr_expect_eq(value_utf8_length("caf\xe9", 4), -1, "latin-1 byte");
    cr_expect_eq(value_utf8_length("\xc0\xaf", 2), -1, "overlong");
    cr_expect_eq(value_utf8_length("\xed\xa0\x80", 3), -1, "surrogate");
    cr_expect_eq(value_utf8_length("\xe2\x82", 2), -1, "truncated");
}
