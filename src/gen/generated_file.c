/* generated_file.c -- see generated_file.h. */
#include "generated_file.h"
#include "../util/files.h"
#include "../util/memory.h"

#include <errno.h>
#include <string.h>

/* Opens directory/name for writing (a NULL directory writes to /dev/null:
 * the rows are still drawn, so later files stay the same) and writes the
 * header line, if any. */
int generated_file_open(struct generated_file *out, const char *directory, const char *name, const char *header,
                        struct error *err) {
    out->path = directory ? files_join(directory, name) : memory_strdup("/dev/null");
    out->file = fopen(out->path, "wb");
    out->rows = 0;
    if (out->file == NULL) {
        error_set(err, "cannot write %s: %s", out->path, strerror(errno));
        free(out->path);
        return -1;
    }
    setvbuf(out->file, NULL, _IOFBF, 1 << 20);
    if (header) fputs(header, out->file);
    return 0;
}

/* Closes the file; *bytes (if given) receives its size. */
int generated_file_close(struct generated_file *out, long *bytes, struct error *err) {
    if (bytes) *bytes = ftell(out->file);
    int failed = ferror(out->file) | (fclose(out->file) != 0);
    if (failed) error_set(err, "cannot write %s", out->path);
    free(out->path);
    return failed ? -1 : 0;
}
