/* generator.h -- realistic, deterministic source data for the pipelines.
 *
 * Generators stream rows straight to files (memory stays flat whatever the
 * scale) and reproduce the dirt of the real exports described in
 * shared/data/real/README.md, so that the loaders and models are tested on
 * what production sends, not on tidy fixtures. */
#ifndef MARTLET_GENERATOR_H
#define MARTLET_GENERATOR_H

#include <stdint.h>

#include "../util/error.h"

struct generator_options {
    const char *directory;
    double scale;          /* 1 = the size of the real sources */
    uint64_t seed;
    const char *only;      /* comma-separated file stems to keep, or NULL for all */
    int increments;        /* social: days of increments after the history (0 = none) */
};

struct generator_file {
    const char *name;
    int64_t rows;
    int64_t bytes;
};

#define GENERATOR_MAX_FILES 8

struct generator_report {
    struct generator_file files[GENERATOR_MAX_FILES];
    int file_count;
};

int generator_sales(const struct generator_options *options, struct generator_report *report, struct error *err);
int generator_social(const struct generator_options *options, struct generator_report *report, struct error *err);

#endif
