/* serve_http.c -- the HTTP side of `martlet serve` on libmicrohttpd: who
 * may ask what, and routing to the API, the pages and /metrics.
 *
 * Reading: without a token only from a loopback peer, and only with a
 * Host header naming a loopback address (a page of another site cannot
 * make a browser read ours through DNS rebinding). From elsewhere the
 * token is needed (Bearer, or a browser's Basic login with the token as
 * password). Changing state (POST): always the token, as a Bearer header
 * -- which no browser sends by itself, so a forged cross-site request
 * cannot carry it -- with a JSON body, and no Origin or Sec-Fetch-Site
 * that says the request came from another site. POST /api/cli, the CLI's
 * reading commands (status, plan, query, report), is reading: it needs the
 * token only where a GET would, but is a POST with a JSON body otherwise. */
#include "serve_http.h"
#include "serve_docs.h"
#include "../util/memory.h"
#include "../util/sanitize.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SERVE_MAX_BODY 65536
#define SERVE_CONNECTIONS 512        /* at once, from everyone */
#define SERVE_CONNECTIONS_PER_PEER 16 /* at once, from one address: a browser opens about 6 */

static struct MHD_Daemon *daemon_handle;

/* What a connection accumulates across libmicrohttpd's calls. */
struct upload {
    struct strbuf body;
    bool too_large;
};

/* A query-string argument, or NULL. */
const char *serve_request_argument(const struct serve_request *request, const char *name) {
    const char *value = MHD_lookup_connection_value(request->connection, MHD_GET_ARGUMENT_KIND, name);
    return value && *value ? value : NULL;
}

/* A positive run id written in decimal digits only. */
bool serve_parse_run_id(const char *text, int64_t *run_id) {
    if (text == NULL || *text == '\0' || strlen(text) > 18) return false;
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9') return false;
    *run_id = strtoll(text, NULL, 10);
    return *run_id > 0;
}

/* The answer is JSON (taken and freed here). */
void serve_json_answer(struct serve_response *response, int status, cJSON *json) {
    char *text = cJSON_PrintUnformatted(json);
    response->status = status;
    response->content_type = "application/json";
    strbuf_reset(&response->body);
    strbuf_append_string(&response->body, text);
    strbuf_append_char(&response->body, '\n');
    cJSON_free(text);
    cJSON_Delete(json);
}

/* {"error": "..."} with the status. */
void serve_json_error(struct serve_response *response, int status, const char *format, ...) {
    char message[ERROR_MESSAGE_SIZE];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    cJSON *json = cJSON_CreateObject();
    cJSON_AddStringToObject(json, "error", message);
    serve_json_answer(response, status, json);
}

/* Compares two secrets in time that depends on their lengths only, not on
 * where they first differ. */
bool serve_constant_time_equal(const char *a, const char *b) {
    size_t length_a = strlen(a), length_b = strlen(b);
    if (length_a != length_b) return false;
    return CRYPTO_memcmp(a, b, length_a) == 0;
}

static const char *header(const struct serve_request *request, const char *name) {
    return MHD_lookup_connection_value(request->connection, MHD_HEADER_KIND, name);
}

/* True when the peer is on this machine (127.0.0.0/8 or ::1). */
static bool peer_is_loopback(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL) return false;
    const struct sockaddr *address = info->client_addr;
    if (address->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)address)->sin_addr.s_addr) >> 24) == 127;
    if (address->sa_family == AF_INET6) {
        const struct in6_addr *in6 = &((const struct sockaddr_in6 *)address)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(in6)) return true;
        if (IN6_IS_ADDR_V4MAPPED(in6)) return in6->s6_addr[12] == 127;
    }
    return false;
}

/* True when the Host header names a loopback address or localhost, with
 * or without a port. */
static bool host_is_loopback(const char *host) {
    if (host == NULL) return false;
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t length = strlen(names[i]);
        if (strncasecmp(host, names[i], length) == 0 && (host[length] == '\0' || host[length] == ':')) return true;
    }
    return false;
}

/* The token the request carries: "Bearer T", or, from a browser's login
 * prompt, "Basic base64(anything:T)". Empty when none. */
static void presented_token(const struct serve_request *request, bool bearer_only, char token[SERVE_TOKEN_MAX]) {
    token[0] = '\0';
    const char *authorization = header(request, MHD_HTTP_HEADER_AUTHORIZATION);
    if (authorization == NULL) return;
    if (strncasecmp(authorization, "Bearer ", 7) == 0) {
        snprintf(token, SERVE_TOKEN_MAX, "%s", authorization + 7);
        return;
    }
    if (bearer_only || strncasecmp(authorization, "Basic ", 6) != 0) return;
    const char *encoded = authorization + 6;
    size_t length = strlen(encoded);
    if (length == 0 || length > 4 * SERVE_TOKEN_MAX / 3 || length % 4 != 0) return;
    unsigned char decoded[SERVE_TOKEN_MAX + 4];
    int size = EVP_DecodeBlock(decoded, (const unsigned char *)encoded, (int)length);
    if (size <= 0) return;
    while (size > 0 && encoded[length - 1] == '=' && decoded[size - 1] == '\0') { /* padding decodes to NULs */
        size--;
        length--;
    }
    decoded[size] = '\0';
    const char *colon = memchr(decoded, ':', (size_t)size);
    if (colon) snprintf(token, SERVE_TOKEN_MAX, "%s", colon + 1);
}

static bool token_matches(const struct serve_request *request, bool bearer_only) {
    char token[SERVE_TOKEN_MAX];
    presented_token(request, bearer_only, token);
    return request->serve->token[0] && token[0] && serve_constant_time_equal(token, request->serve->token);
}

/* True when the request carries the server's token as a Bearer header. */
bool serve_request_has_token(const struct serve_request *request) {
    return token_matches(request, true);
}

/* False when the request may go on; else fills the refusal and returns true. */
static bool refuse(const struct serve_request *request, struct serve_response *response, bool *ask_login) {
    const struct serve *serve = request->serve;
    *ask_login = false;
    bool loopback_peer = peer_is_loopback(request->connection);
    if (strcmp(request->method, "GET") == 0 || strcmp(request->method, "HEAD") == 0) {
        if (loopback_peer && host_is_loopback(header(request, MHD_HTTP_HEADER_HOST))) return false;
        if (token_matches(request, false)) return false;
        *ask_login = true;
        serve_json_error(response, 401, "reading needs the token from a non-loopback address (or an unexpected Host)");
        return true;
    }
    if (strcmp(request->method, "POST") != 0) {
        serve_json_error(response, 405, "method %s not allowed", request->method);
        return true;
    }
    const char *type = header(request, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (type == NULL || strncasecmp(type, "application/json", 16) != 0 || (type[16] != '\0' && type[16] != ';')) {
        serve_json_error(response, 415, "a request that changes state must have Content-Type: application/json");
        return true;
    }
    const char *site = header(request, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) {
        serve_json_error(response, 403, "cross-site request refused (Sec-Fetch-Site: %s)",
                         strcmp(site, "cross-site") == 0 || strcmp(site, "same-site") == 0 ? site : "other");
        return true;
    }
    const char *origin = header(request, MHD_HTTP_HEADER_ORIGIN), *host = header(request, MHD_HTTP_HEADER_HOST);
    if (origin) {
        const char *rest = strncmp(origin, "http://", 7) == 0 ? origin + 7 : NULL;
        if (rest == NULL || host == NULL || strcasecmp(rest, host) != 0) {
            serve_json_error(response, 403, "cross-origin request refused (the Origin is not this server)");
            return true;
        }
    }
    /* A reading command of the CLI (serve_cli.c): a POST for its arguments, but allowed as a GET is. */
    if (strcmp(request->path, "/api/cli") == 0) {
        if (loopback_peer && host_is_loopback(host)) return false;
        if (token_matches(request, true)) return false;
        serve_json_error(response, 401, "reading needs the token from a non-loopback address (or an unexpected Host)");
        return true;
    }
    if (serve->token[0] == '\0') {
        serve_json_error(response, 403, "no token is configured (%s), so nothing may change state", SERVE_TOKEN_VARIABLE);
        return true;
    }
    if (!token_matches(request, true)) {
        serve_json_error(response, 401, "this needs the token: Authorization: Bearer TOKEN");
        return true;
    }
    return false;
}

/* Splits the path into its segments (at most 8; more is no route).
 * strtok_r: requests are answered beside the runs' worker threads. */
static bool split_path(struct serve_request *request, char *copy) {
    request->segment_count = 0;
    char *position;
    for (char *part = strtok_r(copy, "/", &position); part; part = strtok_r(NULL, "/", &position)) {
        if (request->segment_count == sizeof request->segments / sizeof *request->segments) return false;
        request->segments[request->segment_count++] = part;
    }
    return true;
}

/* Sends the answer with the headers every answer carries. */
static enum MHD_Result send_answer(const struct serve *serve, struct MHD_Connection *connection,
                                   struct serve_response *response, bool ask_login) {
    char *body = strbuf_detach(&response->body);
    /* Last line of defence: no secret this process knows leaves it, whatever a page or an error quoted. */
    for (size_t i = 0; i < serve->secret_count; i++) sanitize_hide_secret(body, serve->secrets[i]);
    size_t length = strlen(body);
    struct MHD_Response *answer = MHD_create_response_from_buffer(length, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(answer, MHD_HTTP_HEADER_CONTENT_TYPE, response->content_type);
    MHD_add_response_header(answer, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(answer, "X-Frame-Options", "DENY");
    MHD_add_response_header(answer, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(answer, "Cache-Control", "no-store");
    MHD_add_response_header(answer, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self';"
                            " frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    if (ask_login) MHD_add_response_header(answer, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"martlet\"");
    enum MHD_Result result = MHD_queue_response(connection, (unsigned)response->status, answer);
    MHD_destroy_response(answer);
    return result;
}

/* libmicrohttpd's handler: gathers a POST body, then checks and routes. */
static enum MHD_Result handle(void *context, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **connection_state) {
    (void)version;
    struct serve *serve = context;
    struct upload *upload = *connection_state;
    if (upload == NULL) {
        upload = memory_calloc(1, sizeof *upload);
        strbuf_init(&upload->body);
        *connection_state = upload;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (upload->body.length + *upload_data_size > SERVE_MAX_BODY) upload->too_large = true;
        else strbuf_append(&upload->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct serve_request request = {.serve = serve, .connection = connection, .method = method, .path = url,
                                    .body = strbuf_text(&upload->body), .body_length = upload->body.length};
    struct serve_response response = {.status = 404, .content_type = "application/json"};
    strbuf_init(&response.body);
    bool ask_login = false;
    char *copy = memory_strdup(url);
    if (refuse(&request, &response, &ask_login)) {
        /* refused: the answer is filled */
    } else if (upload->too_large) {
        serve_json_error(&response, 413, "the request body is over %d bytes", SERVE_MAX_BODY);
    } else if (!split_path(&request, copy)) {
        serve_json_error(&response, 404, "no such page");
    } else if (strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0) {
        struct error err;
        response.status = 200;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        if (serve_metrics(serve, &response.body, &err) != 0) serve_json_error(&response, 500, "%s", err.message);
    } else if (!serve_docs_handle(&request, &response) && !serve_api_handle(&request, &response) &&
               !serve_pages_handle(&request, &response)) {
        serve_json_error(&response, 404, "no such page");
    }
    free(copy);
    enum MHD_Result result = send_answer(serve, connection, &response, ask_login);
    strbuf_free(&response.body);
    return result;
}

/* Frees what a connection gathered. */
static void request_done(void *context, struct MHD_Connection *connection, void **connection_state,
                         enum MHD_RequestTerminationCode code) {
    (void)context;
    (void)connection;
    (void)code;
    struct upload *upload = *connection_state;
    if (upload == NULL) return;
    strbuf_free(&upload->body);
    free(upload);
    *connection_state = NULL;
}

/* True for 127.0.0.0/8 and ::1. */
static bool address_is_loopback(const struct sockaddr *address) {
    if (address->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)address)->sin_addr.s_addr) >> 24) == 127;
    return address->sa_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)address)->sin6_addr);
}

/* Binds --listen HOST:PORT (PORT 0: any free port) and starts answering
 * on libmicrohttpd's own thread. A non-loopback address without a token
 * is refused: the pages would be open to the network. */
int serve_listen(struct serve *serve, struct error *err) {
    const char *listen = serve->options.listen;
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon == listen || colon[1] == '\0')
        return error_set(err, "--listen needs HOST:PORT, e.g. 127.0.0.1:8080");
    char host[256], port[16];
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    snprintf(port, sizeof port, "%s", colon + 1);
    char *end;
    long number = strtol(port, &end, 10);
    if (*end || end == port || number < 0 || number > 65535) /* getaddrinfo would take 99999 as 34463 */
        return error_set(err, "--listen %s: the port must be a number from 0 to 65535", listen);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [::1]:8080 */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *found = NULL;
    if (getaddrinfo(host, port, &hints, &found) != 0 || found == NULL)
        return error_set(err, "--listen %s: not an address and port this machine can bind", listen);
    serve->loopback = address_is_loopback(found->ai_addr);
    if (!serve->loopback && serve->token[0] == '\0') {
        freeaddrinfo(found);
        return error_set(err, "--listen %s is not a loopback address: set %s (environment or config file) first, "
                              "or the pages would be open to the network", listen, SERVE_TOKEN_VARIABLE);
    }
    /* A connection is held before anyone is asked for a token, and a peer that sends a byte of its request now and
     * then keeps it past the idle timeout: one peer may hold SERVE_CONNECTIONS_PER_PEER of them, so locking everyone
     * else out takes many addresses. poll(), not select(): select() stops at descriptor 1024. */
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | (found->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    daemon_handle = MHD_start_daemon(flags, 0, NULL, NULL, handle, serve, MHD_OPTION_SOCK_ADDR, found->ai_addr,
                                     MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVE_CONNECTIONS,
                                     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SERVE_CONNECTIONS_PER_PEER,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    freeaddrinfo(found);
    if (daemon_handle == NULL) return error_set(err, "cannot listen on %s (in use, or not this machine's address)", listen);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_BIND_PORT);
    serve->port = info ? info->port : atoi(port);
    return 0;
}

/* Stops answering: requests in progress finish first. */
void serve_http_stop(void) {
    if (daemon_handle) MHD_stop_daemon(daemon_handle);
    daemon_handle = NULL;
}
