/* files.h -- small file-system helpers. */
#ifndef MARTLET_FILES_H
#define MARTLET_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

char *files_join(const char *directory, const char *name);
bool files_exists(const char *path);
bool files_is_directory(const char *path);
int files_read_all(const char *path, char **text, struct error *err);
int files_create_new(const char *path);
int files_write_all(const char *path, const char *text, size_t length, struct error *err);
int files_make_directories(const char *path, struct error *err);
int files_list_recursive(const char *directory, const char *suffix, char ***paths, size_t *count,
                         struct error *err);

#endif
