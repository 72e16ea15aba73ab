/* error.c -- see error.h. */
#include "error.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

/* Formats the message into err and returns -1, so that callers can write
 * `return error_set(err, "...")`. A NULL err is allowed and ignored. A
 * message longer than the buffer is cut at a UTF-8 character boundary, so
 * it stays valid text for the warehouse, the terminal and JSON logs. */
int error_set(struct error *err, const char *format, ...) {
    if (err == NULL) return -1;
    err->transient = false;
    va_list args;
    va_start(args, format);
    utf8_vformat(err->message, sizeof err->message, format, args);
    va_end(args);
    return -1;
}

/* Puts context in front of an existing message ("loading users: " + old),
 * so errors read from the outermost operation inward. Returns -1. */
int error_prefix(struct error *err, const char *format, ...) {
    if (err == NULL) return -1;
    char prefix[ERROR_MESSAGE_SIZE];
    va_list args;
    va_start(args, format);
    utf8_vformat(prefix, sizeof prefix, format, args);
    va_end(args);
    char combined[2 * ERROR_MESSAGE_SIZE + 2];
    snprintf(combined, sizeof combined, "%s: %s", prefix, err->message);
    /* Keep the outer context; cut the inner message between characters. */
    size_t length = utf8_truncate(combined, strlen(combined), sizeof err->message - 1);
    memcpy(err->message, combined, length);
    err->message[length] = '\0';
    return -1;
}

/* Resets err to the empty message. */
void error_clear(struct error *err) {
    if (err == NULL) return;
    err->message[0] = '\0';
    err->transient = false;
}

/* Marks the failure just set as worth retrying (see error.h). Returns -1. */
int error_mark_transient(struct error *err) {
    if (err != NULL) err->transient = true;
    return -1;
}
