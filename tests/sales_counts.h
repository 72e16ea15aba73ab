/* sales_counts.h -- f_sales and f_customer_retention computed a second way,
 * straight from the generated order files in C (no SQL), for comparison. */
#ifndef MARTLET_SALES_COUNTS_H
#define MARTLET_SALES_COUNTS_H

#include <stddef.h>
#include <stdint.h>

struct retention_row {
    char period_name[8];     /* weekly | monthly */
    char period_id[9];       /* 2024-W08 | 2024-02 */
    int64_t item_id;
    int64_t new_customers, returning_customers, refunded_customers;
    int64_t new_revenue_cents, returning_revenue_cents;
    int64_t refunded_lines;
};

struct retention_row *sales_count_retention(const char *const *files, size_t file_count, size_t *row_count,
                                            int64_t *distinct_lines, int64_t *signed_amount_cents);
void sales_iso_week_label(int64_t days, char label[9]);

#endif
