/* csv.h -- a streaming RFC 4180 tokenizer.
 *
 * Reads a file through a bounded buffer and hands out one record at a time:
 * its fields (quotes removed, doubled quotes collapsed), the physical line
 * it starts on, and its raw bytes for the rejects table. Quoted fields may
 * hold delimiters, quotes, CR and LF. Line ends may be LF or CRLF; a UTF-8
 * byte order mark at the start is skipped; blank lines are skipped.
 *
 * A syntax problem does not stop the reader: the record comes back with
 * `error` set and reading continues. An opening quote that never closes
 * (before end of file or within CSV_MAX_QUOTED_BYTES) rejects only the line
 * it starts on; reading resumes on the next line, so one stray quote does
 * not swallow the rest of the file. Memory stays bounded by the longest
 * record, never the file.
 *
 * A reader can also walk a file already in memory (mapped), from a record
 * start to a stop offset: it hands out the records that start before the
 * stop, the last one whole even past it. Several such readers parse one
 * file side by side (see loader.c). There a quoted field must close within
 * CSV_MAX_QUOTED_BYTES of its record's start. */
#ifndef MARTLET_CSV_H
#define MARTLET_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"

#define CSV_MAX_QUOTED_BYTES (16u << 20)

struct csv_field {
    const char *data;
    size_t length;
    bool unescaped;             /* doubled quotes collapsed: data is the reader's copy, */
};                              /* else it points into the file's bytes */

struct csv_record {
    struct csv_field *fields;   /* valid until the next csv_reader_next */
    size_t field_count;
    long line;                  /* 1-based physical line the record starts on */
    const char *raw;            /* the record as it stands in the file, */
    size_t raw_length;          /* without its line end */
    const char *error;          /* NULL, or why the record is malformed */
};

struct csv_reader;

int csv_reader_open(const char *path, char delimiter, char quote,
                    struct csv_reader **reader, struct error *err);
int csv_reader_open_memory(const char *data, size_t length, size_t start, size_t stop, long first_line,
                           char delimiter, char quote, struct csv_reader **reader);
int csv_reader_next(struct csv_reader *reader, struct csv_record *record, struct error *err);
size_t csv_reader_offset(const struct csv_reader *reader);
long csv_reader_line(const struct csv_reader *reader);
long long csv_reader_bytes_read(const struct csv_reader *reader);
void csv_reader_close(struct csv_reader *reader);

#endif
