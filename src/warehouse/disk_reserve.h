/* disk_reserve.h -- room set aside on a file system for the records that
 * must still be written once it is full.
 *
 * A run writes its state (which task failed, and why) into the warehouse
 * after a task may have filled the disk; on a DuckDB file those writes
 * need new pages of the write-ahead log. A reserve is a file of allocated
 * blocks beside the database, made while there is room; deleting it gives
 * those blocks back at the moment they are needed. */
#ifndef MARTLET_DISK_RESERVE_H
#define MARTLET_DISK_RESERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"

#define DISK_RESERVE_BYTES (1024 * 1024) /* ample for many state records; 4 DuckDB blocks */

int disk_reserve_make(const char *path, size_t bytes, struct error *err);
bool disk_reserve_free(const char *path);

#endif
