/* files.c -- see files.h. */
#include "files.h"
#include "memory.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "dir" + "/" + "name" as a new string. */
char *files_join(const char *directory, const char *name) {
    size_t length = strlen(directory) + strlen(name) + 2;
    char *path = memory_alloc(length);
    snprintf(path, length, "%s/%s", directory, name);
    return path;
}

bool files_exists(const char *path) {
    struct stat info;
    return stat(path, &info) == 0;
}

bool files_is_directory(const char *path) {
    struct stat info;
    return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

/* Reads a whole (small) file -- a config or SQL file, never data -- into a
 * new NUL-terminated string. */
int files_read_all(const char *path, char **text, struct error *err) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return error_set(err, "cannot open %s: %s", path, strerror(errno));
    char *data = NULL;
    size_t length = 0, capacity = 0;
    for (;;) {
        if (capacity - length < 4096) {
            capacity = capacity ? capacity * 2 : 8192;
            data = memory_realloc(data, capacity);
        }
        size_t got = fread(data + length, 1, capacity - length - 1, file);
        length += got;
        if (got == 0) break;
    }
    int failed = ferror(file);
    fclose(file);
    if (failed) {
        free(data);
        return error_set(err, "cannot read %s", path);
    }
    data[length] = '\0';
    *text = data;
    return 0;
}

/* Creates path as a new, empty file of this process, opened for writing
 * (mode 0666 less the umask); -1 with errno when it cannot. Whatever had the
 * name is removed first, and the create insists on a new file (O_EXCL): a
 * symbolic link planted under a predictable name (NAME.partial, NAME.part,
 * NAME.tmpPID in a folder others may write to) is never followed, so no
 * write lands in the file it points to. In a sticky folder (/tmp) another
 * user's link cannot be removed and the create fails instead. */
int files_create_new(const char *path) {
    if (unlink(path) != 0 && errno != ENOENT && errno != EPERM && errno != EACCES) return -1;
    return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
}

/* Writes a file atomically: a temporary sibling, then rename. */
int files_write_all(const char *path, const char *text, size_t length, struct error *err) {
    size_t temporary_length = strlen(path) + 16;
    char *temporary = memory_alloc(temporary_length);
    snprintf(temporary, temporary_length, "%s.tmp%d", path, (int)getpid());
    int fd = files_create_new(temporary);
    FILE *file = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (file == NULL) {
        if (fd >= 0) close(fd);
        error_set(err, "cannot write %s: %s", path, strerror(errno));
        free(temporary);
        return -1;
    }
    bool ok = fwrite(text, 1, length, file) == length;
    ok = (fclose(file) == 0) && ok;
    if (!ok || rename(temporary, path) != 0) {
        error_set(err, "cannot write %s: %s", path, strerror(errno));
        remove(temporary);
        free(temporary);
        return -1;
    }
    free(temporary);
    return 0;
}

/* mkdir -p. */
int files_make_directories(const char *path, struct error *err) {
    char *copy = memory_strdup(path);
    for (char *slash = copy + 1; ; slash++) {
        if (*slash != '/' && *slash != '\0') continue;
        char saved = *slash;
        *slash = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
            error_set(err, "cannot create directory %s: %s", copy, strerror(errno));
            free(copy);
            return -1;
        }
        *slash = saved;
        if (saved == '\0') break;
    }
    free(copy);
    return 0;
}

static int compare_paths(const void *left, const void *right) {
    return strcmp(*(char *const *)left, *(char *const *)right);
}

static int collect(const char *directory, const char *suffix, char ***paths, size_t *count, struct error *err) {
    DIR *handle = opendir(directory);
    if (handle == NULL) return error_set(err, "cannot list %s: %s", directory, strerror(errno));
    struct dirent *entry;
    int status = 0;
    while (status == 0 && (entry = readdir(handle)) != NULL) {
        if (entry->d_name[0] == '.') continue;
        char *path = files_join(directory, entry->d_name);
        size_t length = strlen(entry->d_name), suffix_length = strlen(suffix);
        if (files_is_directory(path)) {
            status = collect(path, suffix, paths, count, err);
            free(path);
        } else if (length > suffix_length && strcmp(entry->d_name + length - suffix_length, suffix) == 0) {
            *paths = memory_realloc(*paths, (*count + 1) * sizeof **paths);
            (*paths)[(*count)++] = path;
        } else {
            free(path);
        }
    }
    closedir(handle);
    return status;
}

/* Every file under directory whose name ends in suffix, sorted by path. */
int files_list_recursive(const char *directory, const char *suffix, char ***paths, size_t *count,
                         struct error *err) {
    *paths = NULL;
    *count = 0;
    if (collect(directory, suffix, paths, count, err) != 0) {
        for (size_t i = 0; i < *count; i++) free((*paths)[i]);
        free(*paths);
        *paths = NULL;
        *count = 0;
        return -1;
    }
    if (*count > 1) qsort(*paths, *count, sizeof **paths, compare_paths);
    return 0;
}
