/* error.c -- see error.h. */
#include "error.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

/* Stores text as err's message: valid UTF-8 whatever its origin (bytes
 * that are not are shown as \xNN), cut between characters if too long.
 * Messages reach warehouses, terminals and JSON logs, which all need
 * valid text. */
static void store_message(struct error *err, const char *text) {
    utf8_copy_escaped(err->message, sizeof err->message, text, strlen(text));
}

/* Formats the message into err and returns -1, so that callers can write
 * `return error_set(err, "...")`. A NULL err is allowed and ignored. */
int error_set(struct error *err, const char *format, ...) {
    if (err == NULL) return -1;
    err->transient = false;
    err->refused = false;
    char text[ERROR_MESSAGE_SIZE];
    va_list args;
    va_start(args, format);
    utf8_vformat(text, sizeof text, format, args);
    va_end(args);
    store_message(err, text);
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
    store_message(err, combined);   /* keeps the outer context, cuts the inner message */
    return -1;
}

/* Resets err to the empty message. */
void error_clear(struct error *err) {
    if (err == NULL) return;
    err->message[0] = '\0';
    err->transient = false;
    err->refused = false;
}

/* Marks the failure just set as worth retrying (see error.h). Returns -1. */
int error_mark_transient(struct error *err) {
    if (err != NULL) err->transient = true;
    return -1;
}

/* Marks the failure just set as a refusal of our credentials by a server
 * (see error.h): retrying later will not help, a setting must change. */
int error_mark_refused(struct error *err) {
    if (err != NULL) err->refused = true;
    return -1;
}
