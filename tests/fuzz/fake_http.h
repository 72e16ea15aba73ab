/* fake_http.h -- src/sources/http.h answered from the fuzzer's input.
 *
 * The S3 and report API harnesses link this instead of src/sources/http.c:
 * the input is cut into answers (at a separator line), and each request
 * gets the next one, as a real server hostile enough to say anything
 * would. An answer may start with "HTTP 503\n" to set its status (200
 * otherwise); past the last answer the last one is repeated, so a client
 * that keeps asking the same question is caught: more than
 * FAKE_HTTP_MAX_REQUESTS requests for one input abort as an endless loop.
 * Downloads (counted apart, taking no answer) write an empty file where
 * asked, after the harness's check. */
#ifndef MARTLET_FAKE_HTTP_H
#define MARTLET_FAKE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "../../src/sources/http.h"

#define FAKE_HTTP_MAX_REQUESTS 64

/* Called for every download before the file is written. */
typedef void fake_http_download_check(const char *url, const struct http_options *options, const char *path);

void fake_http_serve(const uint8_t *data, size_t size, const char *separator, fake_http_download_check *check);
void fake_http_check_request_headers(const char *url, const struct http_options *options);

#endif
