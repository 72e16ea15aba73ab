/* serve_client.h -- the CLI through a running `martlet serve`.
 *
 * A server that holds a DuckDB file leaves FILE.serve beside it (address,
 * process id, start time; serve.c). While that process lives, no other can
 * open the file, so status, plan, query and report send their arguments to
 * the server, which runs the same code and answers what it printed; run and
 * backfill ask it, with the token, to run the dates and print the run's
 * progress as it goes. Without a live server these return 0 and the
 * command works directly, as ever. */
#ifndef MARTLET_SERVE_CLIENT_H
#define MARTLET_SERVE_CLIENT_H

#include <stdbool.h>

#include "../engine/runner.h"

/* A run or backfill to ask of the server (the CLI's parsed options). */
struct serve_client_run {
    const char *pipeline, *from, *to;
    const char *pipeline_folder;          /* the PIPELINE argument when it was a folder's path, else NULL */
    const char *pipelines_option;         /* --pipelines, or NULL for the CLI's default search */
    const char *source_directory, *log_directory;
    const char *selection, *exclusion;
    const char *environment;              /* --env other than prod (refused through a server), or NULL */
    const struct run_request *execution;  /* jobs, retries, timeout, log format, history */
    bool backfill, rerun, quiet;
};

int serve_client_command(const char *warehouse_url, int argc, char **argv, int pipeline_argument,
                         const char *pipelines_option, const char *output_file, int *code);
int serve_client_run(const char *warehouse_url, const struct serve_client_run *run, int *code);

#endif
