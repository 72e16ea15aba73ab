/* http.h -- the few HTTP calls martlet makes, on libcurl.
 *
 * Every call has a connect timeout, a total timeout, TLS verification on
 * (libcurl's default, never turned off), and bounded retries with
 * exponential backoff on what is worth retrying: transport failures
 * (refused, reset, timeout, truncated body) and 5xx answers. A 4xx is
 * final. Bodies read into memory are capped; downloads stream to a
 * temporary file renamed into place only when complete. Header values are
 * never part of an error message: they may hold keys. */
#ifndef MARTLET_HTTP_H
#define MARTLET_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "../util/error.h"
#include "../util/strbuf.h"

struct http_options {
    const char *const *headers;  /* "Name: value" lines, NULL-terminated */
    long connect_timeout_ms;
    long timeout_ms;
    int max_attempts;            /* >= 1 */
    long backoff_ms;             /* wait before the second attempt; doubles after */
    size_t max_body_bytes;       /* for http_request */
    const char *aws_sigv4;       /* "aws:amz:REGION:s3": libcurl signs the request, or NULL */
    const char *credentials;     /* "KEY:SECRET" for aws_sigv4, or NULL for anonymous */
    const char *progress_label;  /* show progress on stderr when it is a terminal, or NULL */
    /* http_download: also hand every received chunk to this (e.g. a hash),
     * or NULL. With it, use max_attempts = 1: a retry restarts the body. */
    void (*on_data)(void *context, const char *data, size_t length);
    void *on_data_context;
};

struct http_response {
    long status;
    struct strbuf body;
};

void http_options_defaults(struct http_options *options);
int http_request(const char *method, const char *url, const struct http_options *options,
                 struct http_response *response, struct error *err);
int http_download(const char *url, const struct http_options *options, const char *path, int64_t *bytes,
                  long *http_status, struct error *err);
void http_response_free(struct http_response *response);

#endif
