/* memory.c -- see memory.h. */
#include "memory.h"

#include <stdio.h>
#include <string.h>

static void memory_exhausted(size_t size) {
    fprintf(stderr, "martlet: out of memory allocating %zu bytes\n", size);
    abort();
}

/* malloc that aborts instead of returning NULL. */
void *memory_alloc(size_t size) {
    void *pointer = malloc(size ? size : 1);
    if (pointer == NULL) memory_exhausted(size);
    return pointer;
}

/* calloc that aborts instead of returning NULL. */
void *memory_calloc(size_t count, size_t size) {
    void *pointer = calloc(count ? count : 1, size ? size : 1);
    if (pointer == NULL) memory_exhausted(count * size);
    return pointer;
}

/* realloc that aborts instead of returning NULL. */
void *memory_realloc(void *pointer, size_t size) {
    void *grown = realloc(pointer, size ? size : 1);
    if (grown == NULL) memory_exhausted(size);
    return grown;
}

/* strdup that aborts instead of returning NULL. */
char *memory_strdup(const char *text) {
    return memory_strndup(text, strlen(text));
}

/* Copies at most `length` bytes of text into a new NUL-terminated string. */
char *memory_strndup(const char *text, size_t length) {
    char *copy = memory_alloc(length + 1);
    memcpy(copy, text, length);
    copy[length] = '\0';
    return copy;
}
