/* memory.h -- allocation that never returns NULL.
 *
 * Out of memory is the one condition martlet does not turn into an error
 * value: it aborts with a message, like Redis' zmalloc. Everything else
 * propagates as `struct error`. */
#ifndef MARTLET_MEMORY_H
#define MARTLET_MEMORY_H

#include <stddef.h>
#include <stdlib.h>

void *memory_alloc(size_t size);
void *memory_calloc(size_t count, size_t size);
void *memory_realloc(void *pointer, size_t size);
char *memory_strdup(const char *text);
char *memory_strndup(const char *text, size_t length);

#endif
