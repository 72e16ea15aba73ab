/* http.c -- see http.h. */
#include "http.h"
#include "../util/clock.h"
#include "../util/files.h"
#include "../util/memory.h"
#include "../util/sanitize.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_REDIRECTS 5

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

/* What makes two URLs one origin: scheme, host and port (the scheme's
 * default port when none is written). */
struct origin {
    char *scheme, *host, *port;
};

/* Parses url's origin with libcurl's own URL parser (the one that decides
 * where a request goes); false when url is not an absolute URL. */
static bool origin_of(const char *url, struct origin *origin) {
    *origin = (struct origin){0};
    CURLU *parsed = curl_url();
    bool valid = parsed && url && curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK &&
                 curl_url_get(parsed, CURLUPART_SCHEME, &origin->scheme, 0) == CURLUE_OK &&
                 curl_url_get(parsed, CURLUPART_HOST, &origin->host, 0) == CURLUE_OK &&
                 curl_url_get(parsed, CURLUPART_PORT, &origin->port, CURLU_DEFAULT_PORT) == CURLUE_OK;
    curl_url_cleanup(parsed);
    return valid;
}

/* Frees what origin_of allocated (libcurl's strings). */
static void origin_free(struct origin *origin) {
    curl_free(origin->scheme);
    curl_free(origin->host);
    curl_free(origin->port);
}

/* True when url is on the credential origin: same scheme, host and port.
 * No origin, or anything that does not parse, gets no credentials. */
static bool credential_origin(const char *url, const struct http_options *options) {
    if (options->credential_origin == NULL) return false;
    struct origin a, b;
    bool same = origin_of(url, &a) && origin_of(options->credential_origin, &b) && strcasecmp(a.scheme, b.scheme) == 0 &&
                strcasecmp(a.host, b.host) == 0 && strcmp(a.port, b.port) == 0;
    origin_free(&a);
    origin_free(&b);
    return same;
}

/* The user-info of the credential origin's URL (http://user:pass@host),
 * given to a redirect on that origin, whose Location does not repeat it. */
static void origin_user_info(CURL *curl, const struct http_options *options) {
    CURLU *parsed = curl_url();
    char *user = NULL, *password = NULL;
    if (parsed && curl_url_set(parsed, CURLUPART_URL, options->credential_origin, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_USER, &user, CURLU_URLDECODE) == CURLUE_OK) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, user);
        if (curl_url_get(parsed, CURLUPART_PASSWORD, &password, CURLU_URLDECODE) == CURLUE_OK)
            curl_easy_setopt(curl, CURLOPT_PASSWORD, password);
    }
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(parsed);
}

/* A handle for one hop. libcurl never follows redirects itself (that is
 * done in perform), so what is set here goes to url's host alone. */
static CURL *new_handle(const char *url, const struct http_options *options, bool credentialed,
                        struct curl_slist **headers) {
    pthread_once(&curl_ready, curl_start);
    CURL *curl = curl_easy_init();
    if (curl == NULL) return NULL;
    *headers = NULL;
    for (const char *const *h = options->headers; h && *h; h++) *headers = curl_slist_append(*headers, *h);
    if (credentialed)
        for (const char *const *h = options->credential_headers; h && *h; h++) *headers = curl_slist_append(*headers, *h);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (credentialed && options->aws_sigv4 && options->credentials) {
        curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, options->aws_sigv4);
        curl_easy_setopt(curl, CURLOPT_USERPWD, options->credentials);
    } else if (credentialed && options->credential_origin && strcmp(url, options->credential_origin) != 0) {
        origin_user_info(curl, options);
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

/* One request and the redirects it leads to. deliver receives the body of
 * the final answer only (a redirect's own body is dropped); it returns
 * the bytes it took, fewer to stop the transfer. */
struct transfer {
    size_t (*deliver)(const char *data, size_t bytes, void *context);
    void *context;
    bool fail_on_error;           /* an HTTP status >= 400 stops the transfer (downloads) */
    struct progress progress;
    CURL *curl;                   /* the hop under way */
    bool location;                /* its answer so far names a Location */
    const char *failure;          /* why the redirects could not be followed, or NULL */
};

/* The statuses that send a request elsewhere (with a Location). */
static bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Notes whether the answer under way has a Location (an interim 1xx
 * answer starts over with its own status line). */
static size_t on_header(char *data, size_t size, size_t count, void *context) {
    struct transfer *transfer = context;
    size_t bytes = size * count;
    if (bytes >= 5 && strncmp(data, "HTTP/", 5) == 0) transfer->location = false;
    else if (bytes >= 9 && strncasecmp(data, "Location:", 9) == 0) transfer->location = true;
    return bytes;
}

/* Hands the final answer's body to the transfer's sink; drops a redirect's. */
static size_t on_body(char *data, size_t size, size_t count, void *context) {
    struct transfer *transfer = context;
    long status = 0;
    curl_easy_getinfo(transfer->curl, CURLINFO_RESPONSE_CODE, &status);
    if (is_redirect(status) && transfer->location) return size * count;
    return transfer->deliver(data, size * count, transfer->context);
}

/* Sends method to url and follows redirects by hand, so that each hop
 * carries credentials only when it is on their origin (http.h). 301, 302
 * and 303 turn a POST into a GET, as browsers and libcurl do; 307 and 308
 * keep it. A 3xx without Location is the final answer. */
static CURLcode perform(const char *method, const char *url, const struct http_options *options,
                        struct transfer *transfer, long *status) {
    char *hop = memory_strdup(url);
    bool post = strcmp(method, "POST") == 0;
    CURLcode code = CURLE_OK;
    transfer->failure = NULL;
    for (int redirects = 0;; redirects++) {
        struct curl_slist *headers;
        CURL *curl = new_handle(hop, options, credential_origin(hop, options), &headers);
        if (curl == NULL) {
            code = CURLE_FAILED_INIT;
            break;
        }
        transfer->curl = curl;
        transfer->location = false;
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, transfer);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, transfer);
        if (post) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
        if (transfer->fail_on_error) curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
        if (transfer->progress.label && isatty(STDERR_FILENO)) {
            curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
            curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, show_progress);
            curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer->progress);
        }
        code = curl_easy_perform(curl);
        *status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
        char *next = NULL, *location = NULL;
        if (code == CURLE_OK && is_redirect(*status) && transfer->location &&
            curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location)
            next = memory_strdup(location);
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        transfer->curl = NULL;
        if (next == NULL) break;
        free(hop);
        hop = next;
        if (redirects >= MAX_REDIRECTS) {
            transfer->failure = "more than 5 redirects";
            code = CURLE_TOO_MANY_REDIRECTS;
            break;
        }
        if (strncasecmp(hop, "http://", 7) != 0 && strncasecmp(hop, "https://", 8) != 0) {
            transfer->failure = "redirected to a URL that is not http or https";
            code = CURLE_UNSUPPORTED_PROTOCOL;
            break;
        }
        if (*status == 301 || *status == 302 || *status == 303) post = false;
    }
    free(hop);
    return code;
}

/* Why a transfer failed, in words: ours for redirects, else libcurl's. */
static const char *failure_reason(CURLcode code, const struct transfer *transfer) {
    return transfer->failure ? transfer->failure : curl_easy_strerror(code);
}

/* Transport failures and 5xx may pass on another attempt; the rest will not. */
static bool worth_retrying(CURLcode code, long status) {
    if (code == CURLE_OK) return status >= 500;
    return code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT || code == CURLE_RECV_ERROR ||
           code == CURLE_SEND_ERROR || code == CURLE_PARTIAL_FILE || code == CURLE_GOT_NOTHING ||
           code == CURLE_COULDNT_RESOLVE_HOST;
}

struct memory_sink {
    struct strbuf *body;
    size_t limit;
    bool too_large;
};

/* Keeps a body in memory, up to the sink's limit. */
static size_t collect_body(const char *data, size_t bytes, void *context) {
    struct memory_sink *sink = context;
    if (sink->body->length + bytes > sink->limit) {
        sink->too_large = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    strbuf_append(sink->body, data, bytes);
    return bytes;
}

/* Sends one request (body-less) and reads the answer into memory,
 * retrying as http.h says. The last answer is returned even if it is an
 * HTTP error; -1 only when no answer could be had at all. */
int http_request(const char *method, const char *url, const struct http_options *options,
                 struct http_response *response, struct error *err) {
    strbuf_init(&response->body);
    response->status = 0;
    char shown[512];
    long backoff = options->backoff_ms;
    for (int attempt = 1;; attempt++) {
        strbuf_reset(&response->body);
        struct memory_sink sink = {&response->body, options->max_body_bytes, false};
        struct transfer transfer = {.deliver = collect_body, .context = &sink};
        CURLcode code = perform(method, url, options, &transfer, &response->status);
        if (code == CURLE_FAILED_INIT) return error_set(err, "cannot start an HTTP request");
        if (sink.too_large)
            return error_set(err, "%s %s: answer larger than %zu bytes", method, sanitize_url(shown, sizeof shown, url),
                             options->max_body_bytes);
        if (!worth_retrying(code, response->status) || attempt >= options->max_attempts) {
            if (code != CURLE_OK)
                return error_set(err, "%s %s failed after %d attempt(s): %s", method, sanitize_url(shown, sizeof shown, url),
                                 attempt, failure_reason(code, &transfer));
            return 0;
        }
        clock_sleep_ms(backoff);
        backoff *= 2;
    }
}

struct file_sink {
    int fd;
    int write_errno;          /* why the file could not be written, 0 if it could */
    int64_t bytes;
    const struct http_options *options;
};

/* Writes a chunk to the file whole (short writes and EINTR resumed),
 * noting errno when it cannot: curl only knows that writing failed. */
static size_t write_file(const char *data, size_t bytes, void *context) {
    struct file_sink *sink = context;
    for (size_t done = 0; done < bytes;) {
        ssize_t wrote = write(sink->fd, data + done, bytes - done);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) {
            sink->write_errno = wrote < 0 ? errno : ENOSPC;
            return 0; /* makes curl stop with CURLE_WRITE_ERROR */
        }
        done += (size_t)wrote;
    }
    sink->bytes += (int64_t)bytes;
    if (sink->options->on_data) sink->options->on_data(sink->options->on_data_context, data, bytes);
    return bytes;
}

/* Names a file that could not be written, saying "no space left on
 * device" for a full disk or quota and naming a file size limit -- not
 * libcurl's "Failed writing received data". */
static int write_failure(const char *path, int error_number, struct error *err) {
    if (error_number == ENOSPC) return error_set(err, "cannot write %s: no space left on device", path);
    if (error_number == EDQUOT) return error_set(err, "cannot write %s: no space left on device (disk quota exceeded)", path);
    if (error_number == EFBIG)
        return error_set(err, "cannot write %s: file too large (the file size limit of this process or file system)", path);
    return error_set(err, "cannot write %s: %s", path, strerror(error_number));
}

/* Streams url into path (through path.part, renamed when complete; never
 * left behind on failure). */
int http_download(const char *url, const struct http_options *options, const char *path,
                  struct http_download_result *result, struct error *err) {
    memset(result, 0, sizeof *result);
    size_t length = strlen(path) + 8;
    char *partial = memory_alloc(length);
    snprintf(partial, length, "%s.part", path);
    char shown[512];
    sanitize_url(shown, sizeof shown, url);
    long backoff = options->backoff_ms;
    int status = -1;
    for (int attempt = 1;; attempt++) {
        int fd = files_create_new(partial); /* never through a link planted as NAME.part */
        if (fd < 0) {
            result->local_failure = true;
            write_failure(path, errno, err);
            break;
        }
        struct file_sink sink = {fd, 0, 0, options};
        struct transfer transfer = {.deliver = write_file, .context = &sink, .fail_on_error = true,
                                    .progress = {options->progress_label, monotonic_seconds(), 0}};
        CURLcode code = perform("GET", url, options, &transfer, &result->status);
        if (close(fd) != 0 && sink.write_errno == 0) sink.write_errno = errno;
        if (sink.write_errno != 0) {
            result->local_failure = true;
            write_failure(path, sink.write_errno, err);
            break;
        }
        if (code == CURLE_OK && result->status >= 200 && result->status < 300) {
            result->bytes = sink.bytes;
            if (rename(partial, path) == 0) status = 0;
            else { result->local_failure = true; write_failure(path, errno, err); }
            break;
        }
        bool http_error = code == CURLE_HTTP_RETURNED_ERROR || code == CURLE_OK;
        bool retry = http_error ? result->status >= 500 : worth_retrying(code, 0);
        if (!retry || attempt >= options->max_attempts) {
            if (http_error) error_set(err, "download %s: HTTP %ld", shown, result->status);
            else error_set(err, "download %s failed after %d attempt(s): %s", shown, attempt, failure_reason(code, &transfer));
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
