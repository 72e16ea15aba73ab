/* fuzz_support.h -- what every libFuzzer harness in tests/fuzz shares.
 *
 * The harnesses feed untrusted bytes to one parser each and abort on any
 * broken invariant, so libFuzzer records the input as a crash next to the
 * sanitizers' own findings. Files the code under test must read are written
 * to a private scratch folder (on /dev/shm when there is one). */
#ifndef MARTLET_FUZZ_SUPPORT_H
#define MARTLET_FUZZ_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool fuzz_is_valid_utf8(const char *text, size_t length);
void fuzz_require(bool condition, const char *what, const char *detail);
void fuzz_require_utf8(const char *what, const char *text, size_t length);
void fuzz_require_printable(const char *what, const char *text);
const char *fuzz_scratch_directory(void);
void fuzz_write_file(const char *path, const uint8_t *data, size_t size);
void fuzz_remove_tree(const char *path);
char *fuzz_terminated_copy(const uint8_t *data, size_t size);

#endif
