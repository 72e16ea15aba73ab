/* cmd_serve.c -- `martlet serve`: the web UI, JSON API and /metrics over
 * one warehouse, runs started from the browser, and optionally the
 * scheduler, in one long-lived process (src/serve/). */
#include "../serve/serve.h"
#include "../util/clock.h"
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char serve_help[] =
    "usage: martlet serve [--listen HOST:PORT] [--schedule] [OPTIONS]\n"
    "\n"
    "One process that owns the warehouse and serves, over HTTP, pages (pipelines,\n"
    "grid of dates and tasks, runs, tasks with their error and SQL, rejects,\n"
    "reports), a JSON API under /api/ and Prometheus metrics at /metrics. Runs\n"
    "asked for from the browser or the API run inside it, one pipeline at a\n"
    "time under the same lock as 'martlet run'. With --schedule it is also the\n"
    "scheduler ('martlet schedule --help').\n"
    "\n"
    "Reading needs no token from this machine (loopback). Anything that changes\n"
    "state needs the token of $MARTLET_SERVE_TOKEN (or the config file's key),\n"
    "sent as 'Authorization: Bearer TOKEN' with a JSON body. Binding an address\n"
    "other than loopback is refused unless a token is set; from there reading\n"
    "needs the token too (the browser asks for it as a password).\n"
    "\n"
    "  --listen HOST:PORT  where to answer (default 127.0.0.1:8080; port 0: any free port)\n"
    "  --schedule          also run every scheduled pipeline's due dates\n"
    "  --poll SECONDS      with --schedule: look at least this often (default 60)\n"
    "  --data DIR          source files of pipeline P are in DIR/P (default: data)\n"
    "  --warehouse URL     duckdb:FILE or postgres://... (default: $MARTLET_WAREHOUSE)\n"
    "  --pipelines DIR     folder holding the pipelines (default: ./pipelines)\n"
    "  --log-dir DIR       keep every statement each task ran in DIR/run-<id>/ (the task\n"
    "                      page shows them; give runs from the CLI the same --log-dir)\n"
    CLI_EXECUTION_HELP
    "  -h, --help          show this help\n"
    "\n"
    "SIGTERM or Ctrl-C: no new requests; running runs finish their running tasks\n"
    "and skip the rest (as 'martlet run' does), then the server exits.\n";

/* Options into *options; -1 after --help, EXIT_USAGE on a bad option. */
static int parse(int argc, char **argv, struct serve_options *options) {
    static const struct option long_options[] = {
        {"listen", required_argument, 0, 'a'},    {"schedule", no_argument, 0, 'S'},
        {"poll", required_argument, 0, 'P'},      {"data", required_argument, 0, 'd'},
        {"warehouse", required_argument, 0, 'w'}, {"pipelines", required_argument, 0, 'p'},
        {"log-dir", required_argument, 0, 'l'},   {"help", no_argument, 0, 'h'},
        CLI_EXECUTION_OPTIONS,                    {0, 0, 0, 0},
    };
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'a': options->listen = optarg; break;
        case 'S': options->schedule = true; break;
        case 'd': options->data = optarg; break;
        case 'w': options->warehouse_url = optarg; break;
        case 'p': options->pipelines = optarg; break;
        case 'l': options->log_directory = optarg; break;
        case 'P': {
            char *end;
            options->poll_seconds = strtol(optarg, &end, 10);
            if (*end || options->poll_seconds < 1) return cli_usage_error("serve", "--poll needs a positive number of seconds");
            break;
        }
        case 'j': case 'R': case 'T': case 'L': case 'M': {
            int code = cli_execution_option("serve", option, optarg, &options->execution);
            if (code != EXIT_OK) return code;
            break;
        }
        case 'h': fputs(serve_help, stdout); return -1;
        default: return cli_option_error("serve", option, argv);
        }
    }
    if (optind != argc) return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* martlet serve: open, listen, (schedule), wait for SIGTERM, close. */
int cmd_serve(int argc, char **argv) {
    struct serve_options options = {.listen = "127.0.0.1:8080", .poll_seconds = 60,
                                     .execution.retries = CLI_DEFAULT_RETRIES};
    int parsed = parse(argc, argv, &options);
    if (parsed != 0) return parsed < 0 ? EXIT_OK : parsed;
    options.warehouse_url = cli_warehouse_url(options.warehouse_url);
    static struct serve serve;
    struct error err;
    int code = EXIT_OK;
    const volatile sig_atomic_t *stop = cli_catch_stop_signals();
    int opened = serve_open(&serve, &options, &err);
    serve.stop = stop;
    if (opened != 0 || serve_listen(&serve, &err) != 0 || serve_discovery_write(&serve, &err) != 0) {
        code = cli_fail("serve: %s", err.message);
        serve_wait_and_close(&serve);
        return code;
    }
    printf("martlet serve: listening on http://%.*s:%d\n", (int)(strrchr(options.listen, ':') - options.listen),
           options.listen, serve.port);
    fflush(stdout);
    pthread_t scheduler;
    bool scheduling = false;
    if (options.schedule) {
        if (serve_scheduler_start(&serve, &scheduler, &err) != 0) code = cli_fail("serve: %s", err.message);
        else scheduling = true;
    }
    while (code == EXIT_OK && !*stop) clock_sleep_ms(200);
    printf("martlet serve: stopping; running runs finish their running tasks\n");
    fflush(stdout);
    serve_stop_all_runs(&serve); /* before the join: the scheduler may be in a run */
    if (scheduling) pthread_join(scheduler, NULL);
    serve_wait_and_close(&serve);
    return code;
}
