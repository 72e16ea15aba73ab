/* report_api_server.c -- a real HTTP server playing the store's reporting
 * API for tests and the demo, on loopback, serving a folder laid out as
 * `martlet gen sales` writes it (report files, report.json, increments/).
 *
 * usage: report-api-server --dir DIR [--port N] [--key KEY] [--running-polls N]
 *                          [--gateway-timeouts N] [--server-errors N]
 *                          [--truncate N] [--not-json] [--hostile-text]
 *                          [--other-record FILE [--files-elsewhere]
 *                          [--redirect-api]] [--redirect-same-origin]
 *
 * Prints "listening on http://127.0.0.1:PORT" when ready; stops on SIGTERM.
 * Failure modes (each for the first N requests of its kind): 504 with a
 * JSON body without status, 500, downloads cut in half (Content-Length
 * promises the whole file), and get_report answering HTML (with an escape
 * sequence and a newline in it). Requests without the four identity
 * headers, or with another key than --key, get 403. --hostile-text puts
 * ESC[31m and newlines into get_increment's status and debug_info.
 *
 * --other-record starts a second listener on another port: another origin,
 * playing "another host". It answers like the first and appends every
 * request it gets, with all its headers, to FILE (so a test can see what
 * leaked there). --files-elsewhere makes s3_path name files on it (two
 * directly, two through a 302 from the first listener's /redirect/files/);
 * --redirect-api answers POST /generate_report with a 307 to it.
 * --redirect-same-origin answers /get_report with a 302 to /moved/get_report
 * on the same listener. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct settings {
    const char *directory;
    const char *key;
    int port;
    int running_polls;
    int gateway_timeouts;
    int server_errors;
    int truncate;
    bool not_json;
    bool hostile_text;
    const char *other_record;   /* the other listener's request log, or NULL */
    int other_port;
    bool files_elsewhere, redirect_api, redirect_same_origin;
};

static struct settings settings = {.port = 0, .running_polls = 1};
static volatile sig_atomic_t stopping;

static void on_signal(int number) { (void)number; stopping = 1; }

static enum MHD_Result answer(struct MHD_Connection *connection, unsigned status, const char *type, const char *body) {
    struct MHD_Response *response = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(response, "Content-Type", type);
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

static enum MHD_Result json(struct MHD_Connection *connection, unsigned status, const char *body) {
    return answer(connection, status, "application/json", body);
}

/* An empty answer sending the client to location. */
static enum MHD_Result redirect(struct MHD_Connection *connection, unsigned status, const char *location) {
    struct MHD_Response *response = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, "Location", location);
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

/* Appends one header line of the request to the record file. */
static enum MHD_Result record_header(void *context, enum MHD_ValueKind kind, const char *name, const char *value) {
    (void)kind;
    fprintf(context, "%s: %s\n", name, value ? value : "");
    return MHD_YES;
}

/* The other listener writes down every request it receives. */
static void record_request(struct MHD_Connection *connection, const char *method, const char *url) {
    FILE *file = fopen(settings.other_record, "a");
    if (file == NULL) return;
    fprintf(file, "%s %s\n", method, url);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, record_header, file);
    fputc('\n', file);
    fclose(file);
}

static bool identified(struct MHD_Connection *connection) {
    const char *names[] = {"X-Nickname", "X-Cohort", "X-Project", "X-API-KEY"};
    for (int i = 0; i < 4; i++)
        if (MHD_lookup_connection_value(connection, MHD_HEADER_KIND, names[i]) == NULL) return false;
    const char *key = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "X-API-KEY");
    const char *project = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "X-Project");
    return strcmp(project, "True") == 0 && (settings.key == NULL || strcmp(key, settings.key) == 0);
}

/* Reads the report's dates from report.json ("start_day", "end_date"). */
static void report_dates(char start[32], char end[32]) {
    snprintf(start, 32, "2024-01-01 00:00:00");
    snprintf(end, 32, "2024-01-01 00:00:00");
    char path[4096], text[1024] = "";
    snprintf(path, sizeof path, "%s/report.json", settings.directory);
    FILE *file = fopen(path, "r");
    if (file == NULL) return;
    size_t got = fread(text, 1, sizeof text - 1, file);
    text[got] = '\0';
    fclose(file);
    const char *keys[] = {"\"start_day\": \"", "\"end_date\": \""};
    char *targets[] = {start, end};
    for (int i = 0; i < 2; i++) {
        const char *at = strstr(text, keys[i]);
        if (at) snprintf(targets[i], 32, "%.19s", at + strlen(keys[i]));
    }
}

static enum MHD_Result get_report(struct MHD_Connection *connection) {
    static int polls;
    if (settings.not_json)
        return answer(connection, 200, "text/html", "<html><body>\x1b[31mmaintenance\n</body></html>");
    const char *task = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "task_id");
    if (task == NULL || strcmp(task, "task-1") != 0) return json(connection, 404, "{\"detail\": \"unknown task\"}");
    if (polls++ < settings.running_polls)
        return json(connection, 200, "{\"task_id\": \"task-1\", \"status\": \"RUNNING\", \"data\": null}");
    char start[32], end[32], body[2048];
    report_dates(start, end);
    const char *base = "http://127.0.0.1";
    /* --files-elsewhere: two files on the other origin, two through a redirect to it */
    int direct_port = settings.files_elsewhere ? settings.other_port : settings.port;
    const char *through = settings.files_elsewhere ? "/redirect" : "";
    snprintf(body, sizeof body,
             "{\"task_id\": \"task-1\", \"status\": \"SUCCESS\", \"data\": {\"report_id\": \"report-1\","
             " \"start_day\": \"%s\", \"end_date\": \"%s\", \"s3_path\": {"
             "\"customer_research\": \"%s:%d/files/customer_research.csv\","
             " \"user_order_log\": \"%s:%d/files/user_order_log.csv\","
             " \"user_activity_log\": \"%s:%d%s/files/user_activity_log.csv\","
             " \"price_log\": \"%s:%d%s/files/price_log.csv\"}}}",
             start, end, base, direct_port, base, direct_port, base, settings.port, through, base, settings.port, through);
    return json(connection, 200, body);
}

static enum MHD_Result get_increment(struct MHD_Connection *connection) {
    const char *report = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "report_id");
    const char *date = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "date");
    char body[2048], path[4096];
    if (report == NULL || date == NULL || strcmp(report, "report-1") != 0 || strlen(date) != 19)
        return json(connection, 400, "{\"detail\": \"report_id and date=YYYY-MM-DDT00:00:00 are required\"}");
    snprintf(path, sizeof path, "%s/increments/%.10s", settings.directory, date);
    struct stat info;
    if (stat(path, &info) != 0) {
        const char *tail = settings.hostile_text ? "\\n\\u001b[31mFORGED: run succeeded\\u001b[0m" : "";
        snprintf(body, sizeof body,
                 "{\"report_id\": \"report-1\", \"date\": \"%s\", \"status\": \"NOT FOUND%s\", \"data\": "
                 "{\"increment_id\": null, \"s3_path\": {}}, \"debug_info\": \"no increment for %.10s%s\"}", date,
                 tail, date, tail);
        return json(connection, 200, body);
    }
    const char *names[] = {"customer_research", "user_order_log", "user_activity_log", "price_log"};
    int used = snprintf(body, sizeof body,
                        "{\"report_id\": \"report-1\", \"date\": \"%s\", \"status\": \"SUCCESS\", \"data\": "
                        "{\"increment_id\": \"increment-%.10s\", \"s3_path\": {", date, date);
    for (int i = 0; i < 4; i++)
        used += snprintf(body + used, sizeof body - (size_t)used, "%s\"%s_inc\": \"http://127.0.0.1:%d/files/increments/%.10s/%s.csv\"",
                         i ? ", " : "", names[i], settings.port, date, names[i]);
    snprintf(body + used, sizeof body - (size_t)used, "}}, \"debug_info\": \"\"}");
    return json(connection, 200, body);
}

struct cut_file {
    int fd;
    size_t sent, limit;
};

static ssize_t read_cut(void *context, uint64_t position, char *buffer, size_t max) {
    struct cut_file *file = context;
    if (file->sent >= file->limit) return MHD_CONTENT_READER_END_WITH_ERROR; /* closes mid-body */
    size_t want = file->limit - file->sent < max ? file->limit - file->sent : max;
    ssize_t got = pread(file->fd, buffer, want, (off_t)position);
    if (got <= 0) return MHD_CONTENT_READER_END_WITH_ERROR;
    file->sent += (size_t)got;
    return got;
}

static void free_cut(void *context) {
    struct cut_file *file = context;
    close(file->fd);
    free(file);
}

static enum MHD_Result serve_file(struct MHD_Connection *connection, const char *relative) {
    static int truncated;
    if (strstr(relative, "..")) return json(connection, 400, "{\"detail\": \"bad path\"}");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", settings.directory, relative);
    int fd = open(path, O_RDONLY);
    struct stat info;
    if (fd < 0 || fstat(fd, &info) != 0) {
        if (fd >= 0) close(fd);
        return answer(connection, 404, "text/plain", "no such file\n");
    }
    struct MHD_Response *response;
    if (truncated++ < settings.truncate) {
        struct cut_file *cut = calloc(1, sizeof *cut);
        cut->fd = fd;
        cut->limit = (size_t)info.st_size / 2;
        response = MHD_create_response_from_callback((uint64_t)info.st_size, 64 * 1024, read_cut, cut, free_cut);
    } else {
        response = MHD_create_response_from_fd((uint64_t)info.st_size, fd);
    }
    MHD_add_response_header(response, "Content-Type", "text/csv");
    enum MHD_Result result = MHD_queue_response(connection, 200, response);
    MHD_destroy_response(response);
    return result;
}

static enum MHD_Result handle(void *unused, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state) {
    (void)version; (void)upload; (void)upload_size;
    bool other = unused != NULL; /* the other listener is started with a non-NULL context */
    static int first_call_marker;
    if (*state == NULL) { /* the headers arrived; answer on the next call */
        *state = &first_call_marker;
        if (other) record_request(connection, method, url);
        return MHD_YES;
    }
    *upload_size = 0;
    if (strncmp(url, "/files/", 7) == 0) return serve_file(connection, url + 7);
    if (strncmp(url, "/redirect/files/", 16) == 0) {
        char location[512];
        snprintf(location, sizeof location, "http://127.0.0.1:%d%s", settings.other_port, url + 9);
        return redirect(connection, 302, location);
    }
    if (!identified(connection)) return json(connection, 403, "{\"detail\": \"missing or wrong identity headers\"}");
    static int gateway_timeouts, server_errors;
    if (gateway_timeouts++ < settings.gateway_timeouts) return json(connection, 504, "{\"message\": \"Gateway Timeout\"}");
    if (server_errors++ < settings.server_errors) return json(connection, 500, "{\"detail\": \"internal error\"}");
    if (strcmp(url, "/generate_report") == 0 && strcmp(method, "POST") == 0) {
        if (settings.redirect_api && !other) {
            char location[128];
            snprintf(location, sizeof location, "http://127.0.0.1:%d/generate_report", settings.other_port);
            return redirect(connection, 307, location);
        }
        return json(connection, 200, "{\"task_id\": \"task-1\"}");
    }
    if (strcmp(url, "/get_report") == 0 && settings.redirect_same_origin) {
        char location[256];
        const char *task = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "task_id");
        snprintf(location, sizeof location, "/moved/get_report?task_id=%s", task ? task : "");
        return redirect(connection, 302, location);
    }
    if (strcmp(url, "/get_report") == 0 || strcmp(url, "/moved/get_report") == 0) return get_report(connection);
    if (strcmp(url, "/get_increment") == 0) return get_increment(connection);
    return json(connection, 404, "{\"detail\": \"not found\"}");
}

static void parse(int argc, char **argv) {
    static const struct option options[] = {
        {"dir", required_argument, 0, 'd'}, {"port", required_argument, 0, 'p'}, {"key", required_argument, 0, 'k'},
        {"running-polls", required_argument, 0, 'r'}, {"gateway-timeouts", required_argument, 0, 'g'},
        {"server-errors", required_argument, 0, 's'}, {"truncate", required_argument, 0, 't'},
        {"not-json", no_argument, 0, 'n'}, {"hostile-text", no_argument, 0, 'x'},
        {"other-record", required_argument, 0, 'o'}, {"files-elsewhere", no_argument, 0, 'e'},
        {"redirect-api", no_argument, 0, 'a'}, {"redirect-same-origin", no_argument, 0, 'm'}, {0, 0, 0, 0},
    };
    int option;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (option) {
        case 'd': settings.directory = optarg; break;
        case 'p': settings.port = atoi(optarg); break;
        case 'k': settings.key = optarg; break;
        case 'r': settings.running_polls = atoi(optarg); break;
        case 'g': settings.gateway_timeouts = atoi(optarg); break;
        case 's': settings.server_errors = atoi(optarg); break;
        case 't': settings.truncate = atoi(optarg); break;
        case 'n': settings.not_json = true; break;
        case 'x': settings.hostile_text = true; break;
        case 'o': settings.other_record = optarg; break;
        case 'e': settings.files_elsewhere = true; break;
        case 'a': settings.redirect_api = true; break;
        case 'm': settings.redirect_same_origin = true; break;
        default: exit(2);
        }
    }
    if (settings.directory == NULL || ((settings.files_elsewhere || settings.redirect_api) && !settings.other_record)) {
        fprintf(stderr, "usage: report-api-server --dir DIR [--port N] [...]\n");
        exit(2);
    }
}

int main(int argc, char **argv) {
    parse(argc, argv);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)settings.port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)settings.port, NULL, NULL,
                                                 handle, NULL, MHD_OPTION_SOCK_ADDR, &address, MHD_OPTION_END);
    if (daemon == NULL) {
        fprintf(stderr, "report-api-server: cannot listen on 127.0.0.1:%d\n", settings.port);
        return 1;
    }
    settings.port = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
    struct MHD_Daemon *other = NULL;
    if (settings.other_record) {
        static int other_marker;
        address.sin_port = 0;
        other = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, &other_marker,
                                 MHD_OPTION_SOCK_ADDR, &address, MHD_OPTION_END);
        if (other == NULL) {
            fprintf(stderr, "report-api-server: cannot start the other listener\n");
            MHD_stop_daemon(daemon);
            return 1;
        }
        settings.other_port = MHD_get_daemon_info(other, MHD_DAEMON_INFO_BIND_PORT)->port;
        printf("other origin on http://127.0.0.1:%d\n", settings.other_port);
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("listening on http://127.0.0.1:%d\n", settings.port);
    fflush(stdout);
    while (!stopping) pause();
    if (other) MHD_stop_daemon(other);
    MHD_stop_daemon(daemon);
    return 0;
}
