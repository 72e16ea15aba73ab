/* fuzz_s3.c -- libFuzzer harness: S3 ListObjectsV2 listings, through
 * s3_sync as `martlet fetch` mirrors a bucket.
 *
 * The input's first line is the s3:// URL to mirror; the rest are the
 * listing pages the server answers, one per request, cut at "#PAGE#"
 * lines (see fake_http.h). Invariants: the sync ends (no endless paging),
 * every file it writes lies inside the target folder, every request is a
 * clean URL, and its error, if any, is one line without the server's
 * control characters, valid UTF-8 when the server's answers were. */
#include "../../src/sources/s3.h"
#include "fake_http.h"
#include "fuzz_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char target[512];

/* Files land strictly below the target folder: no "..", no escape. */
static void check_download(const char *url, const struct http_options *options, const char *path) {
    fake_http_check_request_headers(url, options);
    size_t length = strlen(target);
    fuzz_require(strncmp(path, target, length) == 0 && path[length] == '/', "a download lands in the target folder", path);
    fuzz_require(strstr(path, "/../") == NULL && strstr(path, "/./") == NULL, "a download path has no dot segment", path);
    size_t path_length = strlen(path);
    fuzz_require(!(path_length >= 3 && strcmp(path + path_length - 3, "/..") == 0), "a download path does not end in ..", path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *newline = memchr(data, '\n', size);
    if (newline == NULL) return 0;
    char *url = fuzz_terminated_copy(data, (size_t)(newline - data));
    /* The URL is the user's own setting (pipeline.json), not the server's text: keep it printable. */
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p < 0x20 || *p == 0x7F) { free(url); return 0; }
    snprintf(target, sizeof target, "%s/mirror", fuzz_scratch_directory());
    fuzz_remove_tree(target);
    struct s3_config config = {.endpoint = "http://127.0.0.1:9", .region = "us-east-1", .max_attempts = 2,
                               .backoff_ms = 0, .max_keys = 1000};
    fake_http_serve(newline + 1, size - (size_t)(newline - data) - 1, "\n#PAGE#\n", check_download);
    struct s3_sync_stats stats;
    struct error err = {0};
    if (s3_sync(&config, url, target, &stats, &err) == 0) {
        fuzz_require(stats.objects == stats.downloaded + stats.unchanged, "objects = downloaded + unchanged", url);
    } else {
        fuzz_require(err.message[0] != '\0', "a failed sync says why", NULL);
        fuzz_require_printable("an S3 error", err.message);
        if (fuzz_is_valid_utf8((const char *)data, size))
            fuzz_require_utf8("an S3 error", err.message, strlen(err.message));
    }
    free(url);
    return 0;
}
