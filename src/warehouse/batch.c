/* batch.c -- see batch.h. */
#include "batch.h"
#include "../util/memory.h"

#include <string.h>

/* Allocates a batch for `capacity` rows of the given columns. The batch
 * borrows `columns`: they must outlive it. */
struct batch *batch_create(const struct column *columns, size_t column_count, size_t capacity) {
    struct batch *batch = memory_calloc(1, sizeof *batch);
    batch->columns = columns;
    batch->column_count = column_count;
    batch->capacity = capacity;
    batch->data = memory_calloc(column_count, sizeof *batch->data);
    for (size_t i = 0; i < column_count; i++) {
        struct batch_column *data = &batch->data[i];
        data->is_null = memory_calloc(capacity, 1);
        if (columns[i].type == COLUMN_TEXT) {
            data->text_offset = memory_calloc(capacity, sizeof *data->text_offset);
            data->text_length = memory_calloc(capacity, sizeof *data->text_length);
            data->text_pointer = memory_calloc(capacity, sizeof *data->text_pointer);
        } else {
            data->numbers = memory_calloc(capacity, sizeof *data->numbers);
        }
    }
    strbuf_init(&batch->text);
    return batch;
}

/* Frees the batch and everything it owns. NULL is allowed. */
void batch_free(struct batch *batch) {
    if (batch == NULL) return;
    for (size_t i = 0; i < batch->column_count; i++) {
        free(batch->data[i].numbers);
        free(batch->data[i].text_offset);
        free(batch->data[i].text_length);
        free(batch->data[i].text_pointer);
        free(batch->data[i].is_null);
    }
    free(batch->data);
    strbuf_free(&batch->text);
    free(batch);
}

/* Empties the batch, keeping its memory. */
void batch_reset(struct batch *batch) {
    batch->row_count = 0;
    strbuf_reset(&batch->text);
}

/* The bytes of a text value (not NUL-terminated) and their count: where
 * text_pointer says (the loader's values, in the mapped file they came
 * from: not copied on their way to the warehouse), else in the arena. */
const char *batch_text(const struct batch *batch, size_t column, size_t row, size_t *length) {
    *length = batch->data[column].text_length[row];
    const char *pointer = batch->data[column].text_pointer[row];
    return pointer ? pointer : batch->text.data + batch->data[column].text_offset[row];
}

static const char *const column_type_names[] = {
    [COLUMN_INTEGER] = "integer", [COLUMN_DECIMAL] = "decimal", [COLUMN_TEXT] = "text",
    [COLUMN_TIMESTAMP] = "timestamp", [COLUMN_DATE] = "date", [COLUMN_BOOLEAN] = "boolean",
};

/* Looks up a type by the name a pipeline uses. Returns -1 if unknown. */
int column_type_parse(const char *name, enum column_type *type) {
    for (size_t i = 0; i < sizeof column_type_names / sizeof *column_type_names; i++) {
        if (strcmp(name, column_type_names[i]) == 0) {
            *type = (enum column_type)i;
            return 0;
        }
    }
    return -1;
}
