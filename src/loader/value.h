/* value.h -- validation and conversion of one CSV field to a typed value.
 *
 * Each parser accepts exactly the forms documented in docs/semantics.md and
 * returns 0 with the converted number, or -1 with a short reason that ends
 * up in the rejects table. No locale, no allocation. */
#ifndef MARTLET_VALUE_H
#define MARTLET_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "../warehouse/batch.h"

#define VALUE_REASON_SIZE 160

int value_parse(const struct column *column, const char *text, size_t length,
                int64_t *number, char reason[VALUE_REASON_SIZE]);
int value_parse_integer(const char *text, size_t length, int64_t *number);
int value_parse_decimal(const char *text, size_t length, int precision, int scale, int64_t *number);
int value_parse_date(const char *text, size_t length, int64_t *days);
int value_parse_timestamp(const char *text, size_t length, int64_t *microseconds);
int value_parse_boolean(const char *text, size_t length, int64_t *number);
int64_t value_days_from_civil(int64_t year, unsigned month, unsigned day);
void value_civil_from_days(int64_t days, int *year, int *month, int *day);
void value_date_text(int64_t days, char text[11]);
void value_next_date(char date[11]);

#endif
