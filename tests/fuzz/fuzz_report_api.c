/* fuzz_report_api.c -- libFuzzer harness: the report API's JSON answers,
 * through report_api_fetch_report and report_api_fetch_increment.
 *
 * The input is the API's answers, one per request, cut at "#ANSWER#"
 * lines (see fake_http.h): generate_report, get_report, then
 * get_increment. Invariants: fetches end; downloads land inside the target
 * folder as <identifier>.csv; the API key goes to the API's own origin
 * only and never into a message; errors are one line without control
 * characters (the server's text reaches the terminal through them), valid
 * UTF-8 when the answers were. */
#include "../../src/sources/report_api.h"
#include "../../src/util/identifier.h"
#include "fake_http.h"
#include "fuzz_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define API_ORIGIN "http://127.0.0.1:9"

static char target[512];

/* "scheme://host[:port]" of a URL, into origin; "" when it has none. */
static void url_origin(const char *url, char *origin, size_t size) {
    const char *scheme_end = strstr(url, "://");
    if (scheme_end == NULL) { origin[0] = '\0'; return; }
    size_t length = (size_t)(scheme_end + 3 - url) + strcspn(scheme_end + 3, "/?#");
    snprintf(origin, size, "%.*s", (int)length, url);
}

/* True when a header line carries the API key. */
static bool is_key_header(const char *line) {
    return strncasecmp(line, "X-API-KEY:", 10) == 0;
}

/* What http.c sends to url: every header, and the credential headers only
 * when url has credential_origin's origin. The key must reach no other. */
static void check_download(const char *url, const struct http_options *options, const char *path) {
    char origin[512], credential_origin[512] = "";
    url_origin(url, origin, sizeof origin);
    if (options->credential_origin) url_origin(options->credential_origin, credential_origin, sizeof credential_origin);
    bool api_origin = strcmp(origin, API_ORIGIN) == 0;
    for (size_t i = 0; !api_origin && options->headers && options->headers[i]; i++)
        fuzz_require(!is_key_header(options->headers[i]), "the API key is sent to the API's origin only", url);
    bool credentials_sent = options->credential_origin && strcmp(origin, credential_origin) == 0;
    for (size_t i = 0; !api_origin && credentials_sent && options->credential_headers && options->credential_headers[i]; i++)
        fuzz_require(!is_key_header(options->credential_headers[i]), "the API key is sent to the API's origin only", url);
    size_t length = strlen(target);
    fuzz_require(strncmp(path, target, length) == 0 && path[length] == '/', "a download lands in the target folder", path);
    const char *name = strrchr(path, '/') + 1;
    size_t name_length = strlen(name);
    fuzz_require(name_length > 4 && strcmp(name + name_length - 4, ".csv") == 0, "a download is a .csv file", path);
    char stem[128];
    snprintf(stem, sizeof stem, "%.*s", (int)(name_length - 4), name);
    fuzz_require(identifier_is_valid(stem), "a download's name is an identifier", path);
    fuzz_require(strstr(path, "/../") == NULL, "a download path has no .. segment", path);
}

/* An error is one line with no terminal control characters, valid UTF-8
 * when the answers were. */
static void check_error(const struct error *err, bool answers_utf8) {
    fuzz_require(err->message[0] != '\0', "a failed fetch says why", NULL);
    fuzz_require_printable("a report API error", err->message);
    if (answers_utf8) fuzz_require_utf8("a report API error", err->message, strlen(err->message));
    fuzz_require(strstr(err->message, "fuzz-secret-key") == NULL, "a report API error never shows the key", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    snprintf(target, sizeof target, "%s/api", fuzz_scratch_directory());
    fuzz_remove_tree(target);
    struct report_api_config config = {
        .base_url = API_ORIGIN, .nickname = "fuzz", .cohort = "1", .api_key = "fuzz-secret-key",
        .poll_interval_ms = 0, .max_wait_ms = 0, .max_attempts = 1, .backoff_ms = 0,
    };
    fake_http_serve(data, size, "\n#ANSWER#\n", check_download);
    struct error err = {0};
    bool answers_utf8 = fuzz_is_valid_utf8((const char *)data, size);
    if (report_api_fetch_report(&config, target, &err) != 0) check_error(&err, answers_utf8);
    if (report_api_fetch_increment(&config, target, "2026-11-30", &err) != 0) check_error(&err, answers_utf8);
    return 0;
}
