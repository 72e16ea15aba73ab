/* error.h -- errors as values.
 *
 * Every fallible function in martlet returns 0 on success and -1 on failure,
 * and fills a caller-owned `struct error` with one human-readable line.
 * Library code never prints and never exits: the CLI decides what to do. */
#ifndef MARTLET_ERROR_H
#define MARTLET_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

#define ERROR_MESSAGE_SIZE 1024

/* transient marks a failure that may pass if the same work is tried again
 * unchanged: a lock or serialization conflict with another transaction.
 * Only a driver sets it (error_mark_transient, after error_set); error_set
 * clears it, error_prefix keeps it. A SQL or data error is never transient.
 * refused follows the same rules (set by a remote source's client). */
struct error {
    char message[ERROR_MESSAGE_SIZE];
    bool transient;
    bool refused;      /* a server refused our credentials (HTTP 401/403): a setting to fix, not a wait */
};

int error_set(struct error *err, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
int error_prefix(struct error *err, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void error_clear(struct error *err);
int error_mark_transient(struct error *err);
int error_mark_refused(struct error *err);

#endif
