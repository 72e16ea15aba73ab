/* fuzz_support.c -- see fuzz_support.h. */
#include "fuzz_support.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Strict UTF-8, written independently of src/loader/value.c so that the
 * oracle does not share the code under test: no overlong forms, no
 * surrogates, nothing past U+10FFFF, no truncated sequence. */
bool fuzz_is_valid_utf8(const char *text, size_t length) {
    const unsigned char *bytes = (const unsigned char *)text;
    size_t i = 0;
    while (i < length) {
        unsigned char lead = bytes[i];
        size_t extra;
        uint32_t code, minimum;
        if (lead < 0x80) { i++; continue; }
        if ((lead & 0xE0) == 0xC0) { extra = 1; code = lead & 0x1F; minimum = 0x80; }
        else if ((lead & 0xF0) == 0xE0) { extra = 2; code = lead & 0x0F; minimum = 0x800; }
        else if ((lead & 0xF8) == 0xF0) { extra = 3; code = lead & 0x07; minimum = 0x10000; }
        else return false;
        if (length - i <= extra) return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((bytes[i + k] & 0xC0) != 0x80) return false;
            code = code << 6 | (bytes[i + k] & 0x3F);
        }
        if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
        i += extra + 1;
    }
    return true;
}

/* Aborts with a message naming the broken invariant: libFuzzer then keeps
 * the input as a crash. */
void fuzz_require(bool condition, const char *what, const char *detail) {
    if (condition) return;
    fprintf(stderr, "fuzz invariant broken: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* Aborts unless text is valid UTF-8; the text is shown escaped. */
void fuzz_require_utf8(const char *what, const char *text, size_t length) {
    if (fuzz_is_valid_utf8(text, length)) return;
    fprintf(stderr, "fuzz invariant broken: %s is not valid UTF-8: ", what);
    for (size_t i = 0; i < length && i < 400; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c < 0x7F) fputc(c, stderr);
        else fprintf(stderr, "\\x%02X", c);
    }
    fputc('\n', stderr);
    abort();
}

static void remove_scratch(void);

/* Aborts if text holds a control character (newline, escape, ...): text
 * that came from outside must reach a terminal escaped. */
void fuzz_require_printable(const char *what, const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p < 0x20 || *p == 0x7F) {
            fprintf(stderr, "fuzz invariant broken: %s holds control character 0x%02X: ", what, *p);
            for (const unsigned char *q = (const unsigned char *)text; *q; q++)
                if (*q >= 0x20 && *q < 0x7F) fputc(*q, stderr); else fprintf(stderr, "\\x%02X", *q);
            fputc('\n', stderr);
            abort();
        }
}

/* A folder of this process's own, made once: on /dev/shm when it exists
 * (no disk writes at thousands of inputs a second), else under TMPDIR. */
const char *fuzz_scratch_directory(void) {
    static char path[256];
    if (path[0]) return path;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof path, "%s/martlet-fuzz-XXXXXX", base);
    if (mkdtemp(path) == NULL) { perror("mkdtemp"); abort(); }
    atexit(remove_scratch);
    return path;
}

/* Writes data to path, replacing it; aborts if the scratch folder fails
 * (that is the harness's problem, not an input's). */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) { perror(path); abort(); }
    while (size > 0) {
        ssize_t written = write(fd, data, size);
        if (written <= 0) { perror(path); abort(); }
        data += written;
        size -= (size_t)written;
    }
    close(fd);
}

static int remove_entry(const char *path, const struct stat *info, int type, struct FTW *walk) {
    (void)info; (void)type; (void)walk;
    remove(path);
    return 0;
}

/* Removes path and everything under it; a missing path is fine. */
void fuzz_remove_tree(const char *path) {
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes the scratch folder when the fuzzer exits normally. */
static void remove_scratch(void) {
    fuzz_remove_tree(fuzz_scratch_directory());
}

/* The input as a NUL-terminated string (C parsers want one); an embedded
 * NUL simply ends the text early, as it would for a file read as a string. */
char *fuzz_terminated_copy(const uint8_t *data, size_t size) {
    char *copy = malloc(size + 1);
    if (copy == NULL) abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    return copy;
}
