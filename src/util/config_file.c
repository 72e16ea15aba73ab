/* config_file.c -- see config_file.h. */
#include "config_file.h"
#include "files.h"
#include "memory.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The settings a config file may hold: a misspelt key is an error rather
 * than a silently ignored line. */
static bool known_key(const char *key) {
    return strncmp(key, "MARTLET_", 8) == 0 || strncmp(key, "AWS_", 4) == 0 || strncmp(key, "PG", 2) == 0 ||
           strncmp(key, "CLICKHOUSE_", 11) == 0;
}

/* Upper-case letters, digits and underscores, not starting with a digit. */
static bool valid_key(const char *key, size_t length) {
    if (length == 0 || isdigit((unsigned char)key[0])) return false;
    for (size_t i = 0; i < length; i++)
        if (!(isupper((unsigned char)key[i]) || isdigit((unsigned char)key[i]) || key[i] == '_')) return false;
    return true;
}

/* Refuses a file that others could read or that someone else owns. */
static int check_permissions(const char *path, struct error *err) {
    struct stat info;
    if (stat(path, &info) != 0) return error_set(err, "config file %s: cannot read it", path);
    if (!S_ISREG(info.st_mode)) return error_set(err, "config file %s is not a regular file", path);
    if (info.st_uid != geteuid()) return error_set(err, "config file %s belongs to another user", path);
    if (info.st_mode & 077)
        return error_set(err, "config file %s may be read by others (mode %04o): it may hold secrets; run chmod 600 %s",
                         path, (unsigned)(info.st_mode & 07777), path);
    return 0;
}

/* Cuts white space at both ends, in place. */
static char *trim(char *text) {
    while (isspace((unsigned char)*text)) text++;
    size_t length = strlen(text);
    while (length > 0 && isspace((unsigned char)text[length - 1])) text[--length] = '\0';
    return text;
}

/* One line: sets its variable unless the environment has it. */
static int apply_line(char *line, const char *path, int number, int *applied, struct error *err) {
    line = trim(line);
    if (*line == '\0' || *line == '#') return 0;
    if (strncmp(line, "export ", 7) == 0) line = trim(line + 7);
    char *equals = strchr(line, '=');
    if (equals == NULL) return error_set(err, "config file %s, line %d: expected KEY=VALUE", path, number);
    *equals = '\0';
    char *key = trim(line), *value = trim(equals + 1);
    if (!valid_key(key, strlen(key)) || !known_key(key))
        return error_set(err, "config file %s, line %d: unknown setting '%s' (expected MARTLET_*, AWS_*, PG* or CLICKHOUSE_*)", path,
                         number, key);
    size_t length = strlen(value);
    if (length >= 2 && (value[0] == '"' || value[0] == '\'') && value[length - 1] == value[0]) {
        value[length - 1] = '\0';
        value++;
    }
    if (getenv(key) != NULL) return 0;
    setenv(key, value, 0);
    (*applied)++;
    return 0;
}

/* Reads the file at path into the environment. *applied counts the
 * variables it set. */
int config_file_apply(const char *path, int *applied, struct error *err) {
    *applied = 0;
    if (check_permissions(path, err) != 0) return -1;
    char *text = NULL;
    if (files_read_all(path, &text, err) != 0) return error_prefix(err, "config file %s", path);
    int status = 0, number = 1;
    for (char *line = text; line && status == 0; number++) {
        char *end = strchr(line, '\n');
        if (end) *end = '\0';
        status = apply_line(line, path, number, applied, err);
        line = end ? end + 1 : NULL;
    }
    free(text);
    return status;
}

/* $MARTLET_CONFIG, else ~/.config/martlet/martlet.env when it exists, else
 * NULL (no file). The caller frees it. */
char *config_file_default_path(void) {
    const char *chosen = getenv("MARTLET_CONFIG");
    if (chosen && *chosen) return memory_strdup(chosen);
    const char *home = getenv("HOME");
    if (home == NULL || *home == '\0') return NULL;
    char *path = files_join(home, ".config/martlet/martlet.env");
    if (files_exists(path)) return path;
    free(path);
    return NULL;
}
