/* generated_file.h -- a CSV file a generator writes: opened with its header,
 * written through a large buffer, closed with its write errors checked. */
#ifndef MARTLET_GENERATED_FILE_H
#define MARTLET_GENERATED_FILE_H

#include <stdint.h>
#include <stdio.h>

#include "../util/error.h"

struct generated_file {
    FILE *file;
    char *path;        /* the file's name once complete */
    char *partial;     /* where it is written until then: path + ".partial" */
    int64_t rows;      /* counted by the writer */
};

int generated_file_open(struct generated_file *out, const char *directory, const char *name, const char *header,
                        struct error *err);
int generated_file_close(struct generated_file *out, long *bytes, struct error *err);

#endif
