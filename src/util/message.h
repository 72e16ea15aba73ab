/* message.h -- one-line messages out of the multi-line texts warehouses
 * answer with.
 *
 * DuckDB follows an error with "LINE 3: <the statement's line>" and a caret
 * under it; PostgreSQL adds the same context and DETAIL/HINT lines. martlet
 * promises one line per error on stderr, so the CLI and the run's summary
 * print message_one_line's condensed form, while martlet.task_runs and
 * --log-dir keep the full text. */
#ifndef MARTLET_MESSAGE_H
#define MARTLET_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

void message_one_line(const char *text, char *out, size_t size);
bool message_says_disk_full(const char *text);
bool message_statement_context(const char *text, long *line, const char **fragment, size_t *fragment_length);

#endif
