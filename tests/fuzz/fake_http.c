/* fake_http.c -- see fake_http.h. */
#include "fake_http.h"
#include "fuzz_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWERS 16

static struct {
    const uint8_t *answers[MAX_ANSWERS];
    size_t lengths[MAX_ANSWERS];
    size_t count;
    size_t requests;
    size_t downloads;
    fake_http_download_check *check;
} server;

/* Cuts the input into answers for the requests to come. */
void fake_http_serve(const uint8_t *data, size_t size, const char *separator, fake_http_download_check *check) {
    size_t separator_length = strlen(separator);
    server.count = 0;
    server.requests = 0;
    server.downloads = 0;
    server.check = check;
    const uint8_t *end = data + size;
    while (server.count < MAX_ANSWERS) {
        const uint8_t *next = memmem(data, (size_t)(end - data), separator, separator_length);
        server.answers[server.count] = data;
        server.lengths[server.count++] = next ? (size_t)(next - data) : (size_t)(end - data);
        if (next == NULL) break;
        data = next + separator_length;
    }
}

/* Header lines are "Name: value" without CR or LF (a header injection
 * would otherwise be one request away). */
void fake_http_check_request_headers(const char *url, const struct http_options *options) {
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        fuzz_require(*p > 0x20 && *p < 0x7F, "a request URL is printable ASCII without spaces", url);
    for (size_t i = 0; options->headers && options->headers[i]; i++)
        fuzz_require(strpbrk(options->headers[i], "\r\n") == NULL && strchr(options->headers[i], ':') != NULL,
                     "a request header is one 'Name: value' line", NULL);
    for (size_t i = 0; options->credential_headers && options->credential_headers[i]; i++)
        fuzz_require(strpbrk(options->credential_headers[i], "\r\n") == NULL &&
                     strchr(options->credential_headers[i], ':') != NULL,
                     "a credential header is one 'Name: value' line", NULL);
}

/* The defaults of the real http.c: they do not matter to the fake. */
void http_options_defaults(struct http_options *options) {
    memset(options, 0, sizeof *options);
    options->max_attempts = 1;
    options->max_body_bytes = 4u << 20;
}

/* Answers with the next answer of the input. */
int http_request(const char *method, const char *url, const struct http_options *options,
                 struct http_response *response, struct error *err) {
    (void)method; (void)err;
    fake_http_check_request_headers(url, options);
    fuzz_require(++server.requests <= FAKE_HTTP_MAX_REQUESTS, "a client stops asking (endless request loop)", url);
    size_t index = server.requests - 1 < server.count ? server.requests - 1 : server.count - 1;
    const char *answer = (const char *)server.answers[index];
    size_t length = server.lengths[index];
    response->status = 200;
    if (length >= 9 && memcmp(answer, "HTTP ", 5) == 0 && answer[8] == '\n') {
        char status[4] = {answer[5], answer[6], answer[7], '\0'};   /* answers are not NUL-terminated */
        response->status = strtol(status, NULL, 10);
        answer += 9;
        length -= 9;
    }
    strbuf_init(&response->body);
    strbuf_append(&response->body, answer, length);
    return 0;
}

/* Checks the download with the harness (the URL may be the server's own
 * text), then writes an empty file. */
int http_download(const char *url, const struct http_options *options, const char *path,
                  struct http_download_result *result, struct error *err) {
    (void)err;
    fuzz_require(++server.downloads <= FAKE_HTTP_MAX_REQUESTS, "a client stops downloading (endless loop)", url);
    if (server.check) server.check(url, options, path);
    fuzz_write_file(path, (const uint8_t *)"", 0);
    memset(result, 0, sizeof *result);
    result->status = 200;
    return 0;
}

void http_response_free(struct http_response *response) {
    strbuf_free(&response->body);
}
