/* generated_file.c -- see generated_file.h. */
#include "generated_file.h"
#include "../util/files.h"
#include "../util/memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Opens directory/name for writing (a NULL directory writes to /dev/null:
 * the rows are still drawn, so later files stay the same) and writes the
 * header line, if any. The rows go to NAME.partial, renamed to NAME only
 * when all were written: a generator stopped by a full disk or a signal
 * leaves no truncated file under the name a load (or a script checking
 * that the file exists) would take for complete. */
int generated_file_open(struct generated_file *out, const char *directory, const char *name, const char *header,
                        struct error *err) {
    out->path = directory ? files_join(directory, name) : memory_strdup("/dev/null");
    size_t size = strlen(out->path) + sizeof ".partial";
    out->partial = memory_alloc(size);
    snprintf(out->partial, size, "%s%s", out->path, directory ? ".partial" : "");
    int fd = directory ? files_create_new(out->partial) : open(out->partial, O_WRONLY | O_CLOEXEC);
    out->file = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (out->file == NULL && fd >= 0) close(fd);
    out->rows = 0;
    if (out->file == NULL) {
        error_set(err, "cannot write %s: %s", out->partial, strerror(errno));
        free(out->path);
        free(out->partial);
        return -1;
    }
    setvbuf(out->file, NULL, _IOFBF, 1 << 20);
    if (header) fputs(header, out->file);
    return 0;
}

/* Closes the file and gives it its name, or removes it when a write
 * failed; *bytes (if given) receives its size. */
int generated_file_close(struct generated_file *out, long *bytes, struct error *err) {
    if (bytes) *bytes = ftell(out->file);
    errno = 0;
    int failed = ferror(out->file) | (fclose(out->file) != 0);
    int reason = errno;
    bool renamed = !failed && (strcmp(out->partial, out->path) == 0 || rename(out->partial, out->path) == 0);
    if (!renamed) {
        if (!failed) reason = errno;
        error_set(err, "cannot write %s%s%s", out->path, reason ? ": " : "", reason ? strerror(reason) : "");
        remove(out->partial);
    }
    free(out->path);
    free(out->partial);
    return renamed ? 0 : -1;
}
