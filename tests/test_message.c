/* test_message.c -- the one-line form of a warehouse's multi-line error. */
#include "../src/util/message.h"

#include <criterion/criterion.h>
#include <string.h>

/* Regression: a control character was folded into a blank like a newline,
 * so PostgreSQL's 'syntax error at or near "<U+0001>"' read 'near " "' in
 * the run's summary -- a stray byte in generated SQL looked like a space
 * (the dds.h_groups failure that was never reproduced). */
Test(message, a_control_character_the_warehouse_quotes_is_shown_as_its_byte) {
    char line[200];
    message_one_line("ERROR:  syntax error at or near \"\x01\"\nLINE 1: SELECT 1 \x01 FROM x\n                 ^\n", line,
                     sizeof line);
    cr_expect_str_eq(line, "ERROR: syntax error at or near \"\\x01\"");
    message_one_line("near \"\x7f\" and \"\x0b\"", line, sizeof line);
    cr_expect_str_eq(line, "near \"\\x7F\" and \" \"", "DEL as its byte, a vertical tab a blank");
}

Test(message, blanks_and_line_breaks_still_make_one_space) {
    char line[200];
    message_one_line("first\t\tline\r\n  second line\n\nthird", line, sizeof line);
    cr_expect_str_eq(line, "first line second line third");
}

/* A buffer too small for the whole text ends before an escape, never inside it. */
Test(message, an_escape_is_never_cut_in_two) {
    char line[9];
    message_one_line("abcd \x02 efgh", line, sizeof line);
    cr_expect_str_eq(line, "abcd");
    char wider[11];
    message_one_line("abcd \x02 efgh", wider, sizeof wider);
    cr_expect_str_eq(wider, "abcd \\x02");
}
