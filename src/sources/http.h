/* http.h -- the few HTTP calls martlet makes, on libcurl.
 *
 * Every call has a connect timeout, a total timeout, TLS verification on
 * (libcurl's default, never turned off), and bounded retries with
 * exponential backoff on what is worth retrying: transport failures
 * (refused, reset, timeout, truncated body) and 5xx answers. A 4xx is
 * final. Bodies read into memory are capped; downloads stream to a
 * temporary file renamed into place only when complete, and a file that
 * cannot be written (full disk, quota, size limit) is a local failure,
 * named as such and never retried.
 *
 * Credentials go to one origin only. Redirects (at most 5, http and https
 * only) are followed here, not by libcurl, which would repeat custom
 * headers to any host: every hop whose scheme, host and port are those of
 * credential_origin carries credential_headers and the SigV4 signature; a
 * hop to any other origin is sent without them. Header values are never
 * part of a message, and URLs in messages have their user-info and signed
 * query values hidden (sanitize.h). */
#ifndef MARTLET_HTTP_H
#define MARTLET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/error.h"
#include "../util/strbuf.h"

struct http_options {
    const char *const *headers;             /* "Name: value" lines for every host, NULL-terminated */
    const char *const *credential_headers;  /* lines for credential_origin only (e.g. an API key), or NULL */
    const char *credential_origin;          /* a URL: only its scheme+host+port get credentials; NULL: none do */
    long connect_timeout_ms;
    long timeout_ms;
    int max_attempts;            /* >= 1 */
    long backoff_ms;             /* wait before the second attempt; doubles after */
    size_t max_body_bytes;       /* for http_request */
    const char *aws_sigv4;       /* "aws:amz:REGION:s3": libcurl signs requests to credential_origin, or NULL */
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

struct http_download_result {
    int64_t bytes;
    long status;           /* the last HTTP status, 0 if none */
    bool local_failure;    /* the file could not be written: retrying will not help */
};

void http_options_defaults(struct http_options *options);
int http_request(const char *method, const char *url, const struct http_options *options,
                 struct http_response *response, struct error *err);
int http_download(const char *url, const struct http_options *options, const char *path,
                  struct http_download_result *result, struct error *err);
void http_response_free(struct http_response *response);

#endif
