/* csv.c -- see csv.h.
 *
 * The reader keeps the current record contiguous in one buffer: when a
 * record runs past the bytes read so far, the buffer is compacted (the
 * record moves to the front), grown if needed, refilled, and the record is
 * parsed again from its start. Records are small next to the buffer, so the
 * re-parse is rare and cheap, and the raw bytes of every record are always
 * at hand for the rejects table. */
#include "csv.h"
#include "../util/memory.h"
#include "../util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define CSV_READ_SIZE (1u << 20)

struct csv_reader {
    int fd;               /* -1: the bytes are in memory, not ours */
    size_t stop;          /* records starting at or past it are not read */
    char delimiter, quote;
    char *buffer;
    size_t capacity;
    size_t start;         /* first byte of the record being parsed */
    size_t end;           /* bytes of buffer holding file data */
    bool eof;
    bool at_file_start;
    long line;            /* line number of buffer[start] */
    bool record_quoted;   /* the record being parsed has a quoted field */
    long long bytes_read;
    struct strbuf unquoted;          /* quoted fields, unescaped */
    struct csv_field *fields;
    size_t *field_offsets;           /* into `unquoted`, or SIZE_MAX if in buffer */
    size_t field_capacity;
};

enum parse_outcome { PARSED, NEED_MORE, UNTERMINATED };

/* Opens path for reading. Fails with a clear message if it cannot. */
int csv_reader_open(const char *path, char delimiter, char quote,
                    struct csv_reader **out, struct error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return error_set(err, "cannot open %s: %s", path, strerror(errno));
    struct csv_reader *reader = memory_calloc(1, sizeof *reader);
    reader->fd = fd;
    reader->delimiter = delimiter;
    reader->quote = quote;
    reader->capacity = 4 * CSV_READ_SIZE;
    reader->buffer = memory_alloc(reader->capacity);
    reader->at_file_start = true;
    reader->line = 1;
    reader->stop = SIZE_MAX;
    strbuf_init(&reader->unquoted);
    *out = reader;
    return 0;
}

/* A reader over bytes already in memory (a mapped file), which must stay
 * put until the reader is closed: it reads the records starting in
 * [start, stop), where start is a record's start (or 0) on line first_line. */
int csv_reader_open_memory(const char *data, size_t length, size_t start, size_t stop, long first_line,
                           char delimiter, char quote, struct csv_reader **out) {
    struct csv_reader *reader = memory_calloc(1, sizeof *reader);
    reader->fd = -1;
    reader->delimiter = delimiter;
    reader->quote = quote;
    reader->buffer = (char *)data;   /* only read: the struct shares its field with the owned buffer */
    reader->capacity = reader->end = length;
    reader->eof = true;
    reader->start = start;
    reader->stop = stop;
    reader->line = first_line;
    if (start == 0 && length >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) reader->start = 3;
    reader->bytes_read = (long long)length;
    strbuf_init(&reader->unquoted);
    *out = reader;
    return 0;
}

/* Where the next record starts: after the last one handed out. */
size_t csv_reader_offset(const struct csv_reader *reader) {
    return reader->start;
}

/* The physical line csv_reader_offset is on. */
long csv_reader_line(const struct csv_reader *reader) {
    return reader->line;
}

/* Closes the file and frees the reader. NULL is allowed. */
void csv_reader_close(struct csv_reader *reader) {
    if (reader == NULL) return;
    if (reader->fd >= 0) {
        close(reader->fd);
        free(reader->buffer);
    }
    strbuf_free(&reader->unquoted);
    free(reader->fields);
    free(reader->field_offsets);
    free(reader);
}

/* Bytes consumed from the file so far (for throughput reporting). */
long long csv_reader_bytes_read(const struct csv_reader *reader) {
    return reader->bytes_read;
}

/* Moves the unparsed tail to the front, grows the buffer when the current
 * record fills it, and reads more of the file. */
static int refill(struct csv_reader *reader, struct error *err) {
    size_t pending = reader->end - reader->start;
    if (reader->start > 0) {
        memmove(reader->buffer, reader->buffer + reader->start, pending);
        reader->start = 0;
        reader->end = pending;
    }
    if (reader->capacity - reader->end < CSV_READ_SIZE) {
        reader->capacity *= 2;
        reader->buffer = memory_realloc(reader->buffer, reader->capacity);
    }
    ssize_t got;
    do {
        got = read(reader->fd, reader->buffer + reader->end, reader->capacity - reader->end);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return error_set(err, "read failed: %s", strerror(errno));
    if (got == 0) reader->eof = true;
    reader->end += (size_t)got;
    reader->bytes_read += got;
    if (reader->at_file_start && (reader->end >= 3 || reader->eof)) {
        reader->at_file_start = false;
        if (reader->end >= 3 && memcmp(reader->buffer, "\xEF\xBB\xBF", 3) == 0) reader->start = 3;
    }
    return 0;
}

/* Appends a field; `offset` is its position in `unquoted` or SIZE_MAX when
 * `data` points into the read buffer. Pointers into `unquoted` are fixed up
 * once the record is complete, because appends may move that memory. */
static void add_field(struct csv_reader *reader, size_t *count, const char *data, size_t length, size_t offset) {
    if (*count == reader->field_capacity) {
        reader->field_capacity = reader->field_capacity ? reader->field_capacity * 2 : 16;
        reader->fields = memory_realloc(reader->fields, reader->field_capacity * sizeof *reader->fields);
        reader->field_offsets =
            memory_realloc(reader->field_offsets, reader->field_capacity * sizeof *reader->field_offsets);
    }
    reader->fields[*count] = (struct csv_field){data, length, offset != SIZE_MAX};
    reader->field_offsets[*count] = offset;
    (*count)++;
}

static long count_newlines(const char *data, size_t length) {
    long lines = 0;
    const char *end = data + length;
    while ((data = memchr(data, '\n', (size_t)(end - data))) != NULL) { lines++; data++; }
    return lines;
}

/* Parses a quoted field starting at *position (on the opening quote). */
/* A field without doubled quotes is handed out where it stands in the
 * buffer; only one with them is copied, collapsed, into `unquoted`. */
static enum parse_outcome parse_quoted(struct csv_reader *reader, size_t *position, size_t *count) {
    size_t at = *position + 1, first = at;
    size_t offset = reader->unquoted.length;
    bool copying = false;
    /* In memory the whole file is at hand: the bound on a quoted field is
     * applied to the search itself. */
    size_t limit = reader->end;
    if (reader->fd < 0 && reader->end - reader->start > CSV_MAX_QUOTED_BYTES) limit = reader->start + CSV_MAX_QUOTED_BYTES;
    for (;;) {
        const char *quote = at < limit ? memchr(reader->buffer + at, reader->quote, limit - at) : NULL;
        if (quote == NULL) {
            if (reader->end - reader->start > CSV_MAX_QUOTED_BYTES || reader->eof) return UNTERMINATED;
            return NEED_MORE;
        }
        size_t quote_at = (size_t)(quote - reader->buffer);
        if (quote_at + 1 == reader->end && !reader->eof) return NEED_MORE;
        bool doubled = quote_at + 1 < reader->end && reader->buffer[quote_at + 1] == reader->quote;
        if (doubled || copying) {   /* from the first doubled quote on, the field is a copy */
            copying = true;
            strbuf_append(&reader->unquoted, reader->buffer + at, quote_at - at);
        }
        if (doubled) {
            strbuf_append_char(&reader->unquoted, reader->quote);
            at = quote_at + 2;
            continue;
        }
        if (copying) add_field(reader, count, NULL, reader->unquoted.length - offset, offset);
        else add_field(reader, count, reader->buffer + first, quote_at - first, SIZE_MAX);
        *position = quote_at + 1;
        return PARSED;
    }
}

/* Finds the end of the physical line holding `from`; NEED_MORE if the
 * buffer does not reach it yet. */
static enum parse_outcome find_line_end(const struct csv_reader *reader, size_t from, size_t *line_end) {
    const char *newline = memchr(reader->buffer + from, '\n', reader->end - from);
    if (newline == NULL && !reader->eof) return NEED_MORE;
    *line_end = newline ? (size_t)(newline - reader->buffer) : reader->end;
    return PARSED;
}

/* Fills the record's raw bytes (without CR LF) and advances past it. */
static void finish_record(struct csv_reader *reader, struct csv_record *record, size_t raw_end,
                          size_t next_start) {
    size_t raw_length = raw_end - reader->start;
    if (raw_length > 0 && reader->buffer[reader->start + raw_length - 1] == '\r') raw_length--;
    record->raw = reader->buffer + reader->start;
    record->raw_length = raw_length;
    record->line = reader->line;
    /* Only a quoted field can hold a line break: other records end at
     * their first one, and need no second pass over their bytes. */
    if (reader->record_quoted) reader->line += count_newlines(reader->buffer + reader->start, next_start - reader->start);
    else reader->line += next_start > raw_end;
    reader->start = next_start;
}

/* Turns the line a stray opening quote starts on into an error record. */
static enum parse_outcome reject_unterminated(struct csv_reader *reader, struct csv_record *record) {
    size_t line_end;
    if (find_line_end(reader, reader->start, &line_end) == NEED_MORE) line_end = reader->end;
    record->field_count = 0;
    record->error = "unterminated quoted field";
    finish_record(reader, record, line_end, line_end < reader->end ? line_end + 1 : line_end);
    return PARSED;
}

/* Parses one record starting at reader->start. */
static enum parse_outcome parse_record(struct csv_reader *reader, struct csv_record *record) {
    size_t position = reader->start, count = 0;
    strbuf_reset(&reader->unquoted);
    reader->record_quoted = false;
    record->error = NULL;
    for (;;) {
        if (position < reader->end && reader->buffer[position] == reader->quote) {
            reader->record_quoted = true;
            enum parse_outcome outcome = parse_quoted(reader, &position, &count);
            if (outcome == UNTERMINATED) return reject_unterminated(reader, record);
            if (outcome != PARSED) return outcome;
        } else {
            size_t field_start = position;
            while (position < reader->end) {
                char c = reader->buffer[position];
                if (c == reader->delimiter || c == '\n') break;
                position++;
            }
            if (position == reader->end && !reader->eof) return NEED_MORE;
            size_t length = position - field_start;
            if (position < reader->end && reader->buffer[position] == '\n' && length > 0 &&
                reader->buffer[position - 1] == '\r')
                length--;
            else if (position == reader->end && length > 0 && reader->buffer[position - 1] == '\r')
                length--;
            add_field(reader, &count, reader->buffer + field_start, length, SIZE_MAX);
        }
        if (position == reader->end) { /* end of file ends the record */
            finish_record(reader, record, position, position);
            break;
        }
        char c = reader->buffer[position];
        if (c == reader->delimiter) { position++; continue; }
        if (c == '\n') {
            finish_record(reader, record, position, position + 1);
            break;
        }
        if (c == '\r' && position + 1 < reader->end && reader->buffer[position + 1] == '\n') {
            finish_record(reader, record, position, position + 2);
            break;
        }
        if (c == '\r' && position + 1 == reader->end && !reader->eof) return NEED_MORE;
        /* Text right after a closing quote: malformed; the record ends with its line. */
        size_t line_end;
        if (find_line_end(reader, position, &line_end) == NEED_MORE) return NEED_MORE;
        record->error = "unexpected text after a closing quote";
        finish_record(reader, record, line_end, line_end < reader->end ? line_end + 1 : line_end);
        break;
    }
    for (size_t i = 0; i < count; i++)
        if (reader->field_offsets[i] != SIZE_MAX)
            reader->fields[i].data = reader->unquoted.data + reader->field_offsets[i];
    record->fields = reader->fields;
    record->field_count = count;
    return PARSED;
}

static bool is_blank_line(const struct csv_record *record) {
    return record->error == NULL && record->raw_length == 0;
}

/* Reads the next record. Returns 1 with a record, 0 at end of file, -1 on
 * an I/O error. Blank lines are skipped. */
int csv_reader_next(struct csv_reader *reader, struct csv_record *record, struct error *err) {
    for (;;) {
        if (reader->start >= reader->stop) return 0;
        if (reader->start == reader->end) {
            if (reader->eof) return 0;
            if (refill(reader, err) != 0) return -1;
            continue;
        }
        enum parse_outcome outcome = parse_record(reader, record);
        if (outcome == NEED_MORE) {
            if (refill(reader, err) != 0) return -1;
            continue;
        }
        if (is_blank_line(record)) continue;
        return 1;
    }
}
