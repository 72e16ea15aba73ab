/* disk_reserve.c -- see disk_reserve.h. */
#include "disk_reserve.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Makes PATH a file of BYTES allocated blocks (not a sparse file: the
 * blocks are the file system's, taken now). An existing reserve, left by a
 * process that crashed, is reused. */
int disk_reserve_make(const char *path, size_t bytes, struct error *err) {
    int file = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (file < 0) return error_set(err, "cannot make %s: %s", path, strerror(errno));
    int failure = posix_fallocate(file, 0, (off_t)bytes); /* returns the error, does not set errno */
    close(file);
    if (failure == 0) return 0;
    unlink(path); /* a part of the room is no reserve worth keeping */
    return error_set(err, "cannot set aside %zu bytes in %s: %s", bytes, path, strerror(failure));
}

/* Deletes the reserve at PATH, giving its blocks back to the file system
 * (nothing holds it open). True when there was one. */
bool disk_reserve_free(const char *path) {
    return unlink(path) == 0;
}
