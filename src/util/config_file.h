/* config_file.h -- settings and secrets from a file instead of the
 * environment: KEY=VALUE lines (comments with #, an optional "export ",
 * values optionally in matching quotes) for MARTLET_*, AWS_*, PG* and CLICKHOUSE_*
 * settings. The file must belong to the user and be unreadable by anyone
 * else (mode 0600 or stricter): it may hold keys and passwords. Variables
 * already in the environment win over the file. Values are never printed. */
#ifndef MARTLET_CONFIG_FILE_H
#define MARTLET_CONFIG_FILE_H

#include "error.h"

int config_file_apply(const char *path, int *applied, struct error *err);
char *config_file_default_path(void);

#endif
