/* error.h -- errors as values.
 *
 * Every fallible function in martlet returns 0 on success and -1 on failure,
 * and fills a caller-owned `struct error` with one human-readable line.
 * Library code never prints and never exits: the CLI decides what to do. */
#ifndef MARTLET_ERROR_H
#define MARTLET_ERROR_H

#include <stdarg.h>

#define ERROR_MESSAGE_SIZE 1024

struct error {
    char message[ERROR_MESSAGE_SIZE];
};

int error_set(struct error *err, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
int error_prefix(struct error *err, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void error_clear(struct error *err);

#endif
