/* social_counts.h -- the group conversion counted a second way: straight
 * from the source CSV files, with sorting and merging in C, sharing no code
 * or SQL with the models under test. */
#ifndef MARTLET_SOCIAL_COUNTS_H
#define MARTLET_SOCIAL_COUNTS_H

#include <stddef.h>
#include <stdint.h>

struct group_count {
    int64_t group_id;
    int64_t added;        /* distinct users with an add event */
    int64_t converted;    /* of those, users who wrote in the group */
    int64_t authors;      /* distinct authors of the group's messages */
};

struct group_count *social_count_groups(const char *directory, size_t *count);
int64_t social_count_orphan_users(const char *directory);
void social_format_ratio(int64_t numerator, int64_t denominator, char text[16]);

#endif
