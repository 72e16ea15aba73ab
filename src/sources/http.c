/* http.c -- see http.h. */
#include "http.h"
#include "../util/clock.h"
#include "../util/memory.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_once_t curl_ready = PTHREAD_ONCE_INIT;
static void curl_start(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Timeouts of a batch job: patient, not forever. */
void http_options_defaults(struct http_options *options) {
    memset(options, 0, sizeof *options);
    options->connect_timeout_ms = 10000;
    options->timeout_ms = 300000;
    options->max_attempts = 5;
    options->backoff_ms = 500;
    options->max_body_bytes = 4u << 20;
}

struct body_sink {
    struct strbuf *body;
    size_t limit;
    bool too_large;
};

static size_t collect_body(char *data, size_t size, size_t count, void *context) {
    struct body_sink *sink = context;
    size_t bytes = size * count;
    if (sink->body->length + bytes > sink->limit) {
        sink->too_large = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    strbuf_append(sink->body, data, bytes);
    return bytes;
}

static CURL *new_handle(const char *url, const struct http_options *options, struct curl_slist **headers) {
    pthread_once(&curl_ready, curl_start);
    CURL *curl = curl_easy_init();
    if (curl == NULL) return NULL;
    *headers = NULL;
    for (const char *const *h = options->headers; h && *h; h++) *headers = curl_slist_append(*headers, *h);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (options->aws_sigv4 && options->credentials) {
        curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, options->aws_sigv4);
        curl_easy_setopt(curl, CURLOPT_USERPWD, options->credentials);
    }
    return curl;
}

struct progress {
    const char *label;
    double started, shown;
};

static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* "name: 45.2 of 120.0 MB, 85.1 MB/s, ETA 1 s" on a terminal, redrawn in
 * place at most four times a second. */
static int show_progress(void *context, curl_off_t total, curl_off_t now, curl_off_t upload_total, curl_off_t uploaded) {
    (void)upload_total; (void)uploaded;
    struct progress *progress = context;
    double seconds = monotonic_seconds();
    if (seconds - progress->shown < 0.25 && now != total) return 0;
    progress->shown = seconds;
    double rate = seconds > progress->started ? (double)now / (seconds - progress->started) : 0;
    fprintf(stderr, "\r  %s: %.1f of %.1f MB, %.1f MB/s, ETA %.0f s   ", progress->label, (double)now / 1e6,
            (double)total / 1e6, rate / 1e6, rate > 0 && total > now ? (double)(total - now) / rate : 0.0);
    if (total > 0 && now == total) fputc('\n', stderr);
    return 0;
}

static bool worth_retrying(CURLcode code, long status) {
    if (code == CURLE_OK) return status >= 500;
    return code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT || code == CURLE_RECV_ERROR ||
           code == CURLE_SEND_ERROR || code == CURLE_PARTIAL_FILE || code == CURLE_GOT_NOTHING ||
           code == CURLE_COULDNT_RESOLVE_HOST;
}

/* Sends one request (body-less) and reads the answer into memory,
 * retrying as http.h says. The last answer is returned even if it is an
 * HTTP error; -1 only when no answer could be had at all. */
int http_request(const char *method, const char *url, const struct http_options *options,
                 struct http_response *response, struct error *err) {
    strbuf_init(&response->body);
    response->status = 0;
    long backoff = options->backoff_ms;
    for (int attempt = 1;; attempt++) {
        struct curl_slist *headers;
        CURL *curl = new_handle(url, options, &headers);
        if (curl == NULL) return error_set(err, "cannot start an HTTP request");
        strbuf_reset(&response->body);
        struct body_sink sink = {&response->body, options->max_body_bytes, false};
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
        if (strcmp(method, "POST") == 0) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
        CURLcode code = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        if (sink.too_large)
            return error_set(err, "%s %s: answer larger than %zu bytes", method, url, options->max_body_bytes);
        if (!worth_retrying(code, response->status) || attempt >= options->max_attempts) {
            if (code != CURLE_OK)
                return error_set(err, "%s %s failed after %d attempt(s): %s", method, url, attempt, curl_easy_strerror(code));
            return 0;
        }
        clock_sleep_ms(backoff);
        backoff *= 2;
    }
}

struct file_sink {
    FILE *file;
    const struct http_options *options;
};

static size_t write_file(char *data, size_t size, size_t count, void *context) {
    struct file_sink *sink = context;
    size_t bytes = size * count;
    if (sink->options->on_data) sink->options->on_data(sink->options->on_data_context, data, bytes);
    return fwrite(data, 1, bytes, sink->file);
}

/* Streams url into path (through path.part, renamed when complete). */
int http_download(const char *url, const struct http_options *options, const char *path, int64_t *bytes,
                  long *http_status, struct error *err) {
    size_t length = strlen(path) + 8;
    char *partial = memory_alloc(length);
    snprintf(partial, length, "%s.part", path);
    long backoff = options->backoff_ms;
    int status = -1;
    for (int attempt = 1;; attempt++) {
        FILE *file = fopen(partial, "wb");
        if (file == NULL) {
            error_set(err, "cannot write %s: %s", partial, strerror(errno));
            break;
        }
        struct curl_slist *headers;
        CURL *curl = new_handle(url, options, &headers);
        struct file_sink sink = {file, options};
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_file);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
        curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
        struct progress progress = {options->progress_label, monotonic_seconds(), 0};
        if (options->progress_label && isatty(STDERR_FILENO)) {
            curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
            curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, show_progress);
            curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &progress);
        }
        CURLcode code = curl_easy_perform(curl);
        curl_off_t received = 0;
        *http_status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, http_status);
        curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &received);
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        bool written = fclose(file) == 0;
        if (code == CURLE_OK && written) {
            *bytes = (int64_t)received;
            status = rename(partial, path) == 0 ? 0 : error_set(err, "cannot write %s: %s", path, strerror(errno));
            break;
        }
        bool retry = (code == CURLE_HTTP_RETURNED_ERROR ? *http_status >= 500 : worth_retrying(code, 0));
        if (!retry || attempt >= options->max_attempts) {
            if (code == CURLE_HTTP_RETURNED_ERROR) error_set(err, "download %s: HTTP %ld", url, *http_status);
            else error_set(err, "download %s failed after %d attempt(s): %s", url, attempt,
                           written ? curl_easy_strerror(code) : "cannot write the file");
            break;
        }
        clock_sleep_ms(backoff);
        backoff *= 2;
    }
    if (status != 0) remove(partial);
    free(partial);
    return status;
}

/* Frees the body. */
void http_response_free(struct http_response *response) {
    strbuf_free(&response->body);
}
