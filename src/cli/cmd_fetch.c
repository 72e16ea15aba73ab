/* cmd_fetch.c -- `martlet fetch s3://BUCKET/PREFIX/ --out DIR`: mirror objects. */
#include "../sources/s3.h"
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char fetch_help[] =
    "usage: martlet fetch s3://BUCKET/KEY|PREFIX/ --out DIR\n"
    "\n"
    "Mirrors one object, or every object under a prefix, into DIR: streamed to\n"
    "disk, checked against the size and ETag the server lists, skipped when the\n"
    "copy in DIR already has that ETag. Progress shows on a terminal. Listed\n"
    "keys outside the prefix, or whose path would leave DIR, are skipped with\n"
    "a warning; a listing that repeats its continuation token fails.\n"
    "Settings: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (none: anonymous),\n"
    "AWS_SESSION_TOKEN, AWS_REGION, MARTLET_S3_ENDPOINT, MARTLET_S3_ADDRESSING\n"
    "(path|virtual), MARTLET_S3_RETRIES, MARTLET_S3_BACKOFF_MS, MARTLET_S3_MAX_PAGES.\n"
    "\n"
    "  --out DIR     the folder to mirror into (created if missing)\n"
    "  -h, --help    show this help\n";

int cmd_fetch(int argc, char **argv) {
    static const struct option long_options[] = {
        {"out", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *directory = NULL;
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'o': directory = optarg; break;
        case 'h': fputs(fetch_help, stdout); return EXIT_OK;
        default: return cli_option_error("fetch", option, argv);
        }
    }
    if (optind + 1 != argc || strncmp(argv[optind], "s3://", 5) != 0)
        return cli_usage_error("fetch", "expected one s3:// URL");
    if (directory == NULL) return cli_usage_error("fetch", "--out DIR is required");
    struct s3_config config;
    struct s3_sync_stats stats;
    struct error err;
    if (s3_config_from_environment(&config, &err) != 0 || s3_sync(&config, argv[optind], directory, &stats, &err) != 0)
        return cli_fail("%s", err.message);
    if (stats.skipped > 0)
        fprintf(stderr, "warning: %s: skipped %d listed object(s) that are not safely under the prefix, the first %s\n",
                argv[optind], stats.skipped, stats.first_skipped);
    printf("%s: %d objects, %d downloaded (%.1f MB), %d unchanged\n", argv[optind], stats.objects, stats.downloaded,
           (double)stats.bytes / 1e6, stats.unchanged);
    return EXIT_OK;
}
