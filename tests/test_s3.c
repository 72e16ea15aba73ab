/* test_s3.c -- S3 sources against a real S3-compatible server (s3rver,
 * started per test on loopback), with fixtures uploaded by the reference
 * client (boto3). The signature itself is checked against botocore. */
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECRET "s3cr3t-that-must-never-print"

struct s3_fixture {
    char *directory, *store;
    int server, port;
};

static int start_s3rver(const char *store, int port) {
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command,
                  "exec node --openssl-legacy-provider .deps/node_modules/s3rver/bin/s3rver.js -d %s -a 127.0.0.1 -p %d"
                  " --no-vhost-buckets --configure-bucket sprint6", store, port);
    int got;
    int pid = test_start_server(strbuf_text(&command), &got);
    strbuf_free(&command);
    return pid;
}

static struct s3_fixture start(void) {
    struct s3_fixture fixture;
    fixture.directory = test_temp_directory();
    fixture.store = files_join(fixture.directory, "store");
    struct error err;
    cr_assert_eq(files_make_directories(fixture.store, &err), 0);
    fixture.port = 30000 + (int)(getpid() % 20000);
    fixture.server = start_s3rver(fixture.store, fixture.port);
    return fixture;
}

static void stop(struct s3_fixture *fixture) {
    if (fixture->server) test_stop_server(fixture->server);
    test_remove_directory(fixture->directory);
    free(fixture->store);
}

static void upload(const struct s3_fixture *fixture, const char *key, const char *path) {
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "env AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER /usr/bin/python3 tests/s3_client.py"
                            " put http://127.0.0.1:%d sprint6 '%s' '%s'", fixture->port, key, path);
    char *output;
    cr_assert_eq(test_run_command(strbuf_text(&command), &output), 0, "upload failed: %s", output);
    free(output);
    strbuf_free(&command);
}

/* martlet with the S3 environment; checks that no secret is printed. */
static int martlet_s3(const struct s3_fixture *fixture, const char *access_key, const char *arguments, char **output) {
    char *binary = test_martlet();
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command,
                  "env MARTLET_S3_ENDPOINT=http://127.0.0.1:%d AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=" SECRET
                  " AWS_REGION=us-east-1 MARTLET_S3_MAX_KEYS=2 MARTLET_S3_RETRIES=6 MARTLET_S3_BACKOFF_MS=200 %s %s",
                  fixture->port, access_key, binary, arguments);
    int code = test_run_command(strbuf_text(&command), output);
    cr_expect(strstr(*output, SECRET) == NULL, "the secret leaked: %s", *output);
    strbuf_free(&command);
    free(binary);
    return code;
}

static bool same_file(const char *a, const char *b) {
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "cmp -s '%s' '%s'", a, b);
    char *output;
    int code = test_run_command(strbuf_text(&command), &output);
    free(output);
    strbuf_free(&command);
    return code == 0;
}

Test(s3, social_runs_from_a_prefix_listed_over_pages_and_skips_unchanged_objects, .timeout = 180) {
    struct s3_fixture fixture = start();
    char *data = files_join(fixture.directory, "data"), *output;
    cr_assert_eq(test_martlet_run(&output, "gen social --out %s --scale 0.01 --seed 2", data), 0, "%s", output);
    free(output);
    const char *names[] = {"users.csv", "groups.csv", "dialogs.csv", "group_log.csv"};
    for (size_t i = 0; i < 4; i++) {
        char key[64], *path = files_join(data, names[i]);
        snprintf(key, sizeof key, "exports/%s", names[i]);
        upload(&fixture, key, path);
        free(path);
    }
    char *readme = test_write_file(fixture.directory, "readme.txt", "not a source\n");
    char no_location[600];
    snprintf(no_location, sizeof no_location, "run sales --source s3 --source-dir %s/cache", fixture.directory);
    cr_expect_eq(martlet_s3(&fixture, "S3RVER", no_location, &output), 1);
    cr_expect(strstr(output, "pipeline sales declares no \"s3\" location") != NULL, "%s", output);
    free(output);
    upload(&fixture, "exports/notes/readme.txt", readme);
    char arguments[1024];
    snprintf(arguments, sizeof arguments, "run social --source s3://sprint6/exports/ --source-dir %s/cache --warehouse duckdb:%s/w.duckdb",
             fixture.directory, fixture.directory);
    cr_assert_eq(martlet_s3(&fixture, "S3RVER", arguments, &output), 0, "%s", output);
    cr_expect(strstr(output, "5 objects, 5 downloaded") != NULL, "listed over 3 pages of 2: %s", output);
    free(output);
    for (size_t i = 0; i < 4; i++) {
        char *original = files_join(data, names[i]), cached[600];
        snprintf(cached, sizeof cached, "%s/cache/%s", fixture.directory, names[i]);
        cr_expect(same_file(original, cached), "%s arrived byte for byte", names[i]);
        free(original);
    }
    cr_assert_eq(martlet_s3(&fixture, "S3RVER", arguments, &output), 0, "%s", output);
    cr_expect(strstr(output, "5 objects, 0 downloaded (0.0 MB), 5 unchanged") != NULL, "%s", output);
    free(output);
    struct strbuf url;
    strbuf_init(&url);
    strbuf_printf(&url, "duckdb:%s/w.duckdb", fixture.directory);
    struct warehouse *warehouse;
    struct error err;
    cr_assert_eq(warehouse_open(strbuf_text(&url), &warehouse, &err), 0);
    cr_expect_eq(test_query_integer(warehouse, "SELECT count(*) FROM dds.h_users WHERE load_src <> 's3'"), 0);
    warehouse_close(warehouse);
    strbuf_free(&url);
    free(readme);
    free(data);
    stop(&fixture);
}

Test(s3, missing_keys_and_refused_credentials_are_clear_errors, .timeout = 60) {
    struct s3_fixture fixture = start();
    char *output, arguments[600];
    snprintf(arguments, sizeof arguments, "fetch s3://sprint6/missing/file.csv --out %s/out", fixture.directory);
    cr_expect_eq(martlet_s3(&fixture, "S3RVER", arguments, &output), 1);
    cr_expect(strstr(output, "s3://sprint6/missing/file.csv does not exist") != NULL, "%s", output);
    free(output);
    snprintf(arguments, sizeof arguments, "fetch s3://sprint6/ --out %s/out", fixture.directory);
    cr_expect_eq(martlet_s3(&fixture, "UNKNOWNKEY", arguments, &output), 1);
    cr_expect(strstr(output, "access denied to s3://sprint6/") != NULL, "%s", output);
    free(output);
    snprintf(arguments, sizeof arguments, "fetch s3://no-such-bucket/ --out %s/out", fixture.directory);
    cr_expect_eq(martlet_s3(&fixture, "S3RVER", arguments, &output), 1);
    cr_expect(strstr(output, "s3://no-such-bucket/ does not exist (NoSuchBucket)") != NULL, "%s", output);
    free(output);
    stop(&fixture);
}

Test(s3, a_corrupted_body_is_detected_and_leaves_no_file, .timeout = 60) {
    struct s3_fixture fixture = start();
    char *file = test_write_file(fixture.directory, "orders.csv", "id,amount\n1,10\n2,20\n");
    upload(&fixture, "orders.csv", file);
    char stored[600];
    snprintf(stored, sizeof stored, "%s/sprint6/orders.csv._S3rver_object", fixture.store);
    struct error err;
    cr_assert_eq(files_write_all(stored, "id,amount\n1,99\n2,20\n", 20, &err), 0, "%s", err.message);
    char *output, arguments[600];
    snprintf(arguments, sizeof arguments, "fetch s3://sprint6/orders.csv --out %s/out", fixture.directory);
    cr_expect_eq(martlet_s3(&fixture, "S3RVER", arguments, &output), 1);
    cr_expect(strstr(output, "s3://sprint6/orders.csv: content does not match its ETag") != NULL, "%s", output);
    free(output);
    char out_file[600];
    snprintf(out_file, sizeof out_file, "%s/out/orders.csv", fixture.directory);
    cr_expect(!files_exists(out_file), "no corrupted file is left");
    free(file);
    stop(&fixture);
}

/* The shell command of one fetch under /usr/bin/time (for its peak RSS). */
static char *fetch_command(const struct s3_fixture *fixture, const char *key, const char *out) {
    char *binary = test_martlet();
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command,
                  "env MARTLET_S3_ENDPOINT=http://127.0.0.1:%d AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=" SECRET
                  " MARTLET_S3_RETRIES=8 MARTLET_S3_BACKOFF_MS=250 /usr/bin/time -f 'peak_rss_kb=%%M'"
                  " %s fetch s3://sprint6/%s --out %s", fixture->port, binary, key, out);
    free(binary);
    return strbuf_detach(&command);
}

static long peak_rss(const char *output) {
    const char *rss = strstr(output, "peak_rss_kb=");
    return rss ? atol(rss + 12) : -1;
}

Test(s3, a_large_object_streams_in_flat_memory_and_survives_a_server_restart, .timeout = 180) {
    struct s3_fixture fixture = start();
    char *big = files_join(fixture.directory, "big.csv");
    FILE *file = fopen(big, "w");
    cr_assert_not_null(file);
    for (int i = 0; i < 2500000; i++) fprintf(file, "%09d,some text to make the line longer,%d\n", i, i % 97); /* ~120 MB */
    fclose(file);
    char *small = test_write_file(fixture.directory, "small.csv", "a,b\n1,2\n");
    upload(&fixture, "big.csv", big);
    upload(&fixture, "small.csv", small);
    char out[600], partial[700], fetched[700], log[700];
    snprintf(out, sizeof out, "%s/out", fixture.directory);
    snprintf(partial, sizeof partial, "%s/big.csv.part", out);
    snprintf(fetched, sizeof fetched, "%s/big.csv", out);
    snprintf(log, sizeof log, "%s/fetch.log", fixture.directory);
    char *small_fetch = fetch_command(&fixture, "small.csv", out), *output;
    cr_assert_eq(test_run_command(small_fetch, &output), 0, "%s", output);
    long small_rss = peak_rss(output);
    free(output);

    /* Fetch the big object in the background; kill the server once part
     * of it has arrived, bring it back a second later: the same fetch
     * must retry and finish the file correctly. */
    char *big_fetch = fetch_command(&fixture, "big.csv", out);
    pid_t fetcher = fork();
    if (fetcher == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execl("/bin/sh", "sh", "-c", big_fetch, (char *)NULL);
        _exit(127);
    }
    bool killed_mid_transfer = false;
    for (int waited = 0; waited < 400 && !killed_mid_transfer; waited++) {
        struct stat info;
        if (stat(partial, &info) == 0 && info.st_size > 1000000) {
            test_stop_server(fixture.server); /* SIGTERM: s3rver drops its connections */
            killed_mid_transfer = true;
        } else {
            usleep(5000);
        }
    }
    cr_expect(killed_mid_transfer, "the server should die while big.csv.part is growing");
    usleep(1000000);
    fixture.server = start_s3rver(fixture.store, fixture.port);
    int status;
    waitpid(fetcher, &status, 0);
    char *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(log, &text, &err), 0);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the fetch must finish after the restart: %s", text);
    cr_expect(same_file(big, fetched), "the 120 MB object arrived byte for byte");
    long big_rss = peak_rss(text);
    cr_expect_lt(big_rss - small_rss, 32 * 1024, "memory stays flat: %ld KB for 120 MB vs %ld KB for 8 bytes", big_rss,
                 small_rss);
    free(text);
    free(small_fetch);
    free(big_fetch);
    free(big);
    free(small);
    stop(&fixture);
}

Test(s3, the_signature_equals_botocores, .timeout = 60) {
    char *directory = test_temp_directory(), *captured = files_join(directory, "request.json");
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "exec /usr/bin/python3 tests/s3_client.py capture 0 %s", captured);
    int port;
    int server = test_start_server(strbuf_text(&command), &port);
    char *output;
    strbuf_reset(&command);
    char *binary = test_martlet();
    strbuf_printf(&command,
                  "env MARTLET_S3_ENDPOINT=http://127.0.0.1:%d AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=" SECRET
                  " AWS_REGION=ru-central1 %s fetch 's3://sprint6/dir with space/' --out %s/out", port, binary, directory);
    test_run_command(strbuf_text(&command), &output);
    free(output);
    waitpid(server, NULL, 0);
    strbuf_reset(&command);
    strbuf_printf(&command, "env AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=" SECRET
                            " /usr/bin/python3 tests/s3_client.py verify-signature %s ru-central1", captured);
    cr_expect_eq(test_run_command(strbuf_text(&command), &output), 0, "signatures differ:\n%s", output);
    free(output);
    strbuf_free(&command);
    free(binary);
    free(captured);
    test_remove_directory(directory);
}

/* A hostile S3 server (tests/servers/hostile_s3.py) in one of its modes. */
static int start_hostile(const char *mode, int *port) {
    char command[256];
    snprintf(command, sizeof command, "exec /usr/bin/python3 tests/servers/hostile_s3.py %s", mode);
    return test_start_server(command, port);
}

/* `martlet fetch url --out out` against the hostile server on port, with
 * more settings (or shell commands) before it; checks no secret is printed.
 * timeout(1) ends a fetch that would loop forever (as one did), so that a
 * regression fails the test without leaving a process behind. */
static int fetch_hostile(int port, const char *before, const char *url, const char *out, char **output) {
    char *binary = test_martlet();
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command,
                  "%s env MARTLET_S3_ENDPOINT=http://127.0.0.1:%d AWS_ACCESS_KEY_ID=AKID AWS_SECRET_ACCESS_KEY=" SECRET
                  " MARTLET_S3_RETRIES=1 MARTLET_S3_BACKOFF_MS=10 timeout 40 %s fetch %s --out %s",
                  before, port, binary, url, out);
    int code = test_run_command(strbuf_text(&command), output);
    cr_expect(strstr(*output, SECRET) == NULL, "the secret leaked: %s", *output);
    strbuf_free(&command);
    free(binary);
    return code;
}

/* The number of newlines in text. */
static size_t count_lines(const char *text) {
    size_t lines = 0;
    for (; *text; text++) lines += *text == '\n';
    return lines;
}

/* Keys shorter than the prefix (once a heap over-read), outside it, or
 * whose path would leave --out are skipped with one warning; the two good
 * objects arrive; nothing is written outside the folder. */
Test(s3, listed_keys_outside_the_prefix_or_the_folder_are_skipped_with_a_warning, .timeout = 60) {
    char *directory = test_temp_directory(), *out = files_join(directory, "deep/out"), *output;
    int port, server = start_hostile("bad-keys", &port);
    cr_expect_eq(fetch_hostile(port, "", "s3://sprint6/exports/longprefix/", out, &output), 0, "%s", output);
    cr_expect(strstr(output, "warning: s3://sprint6/exports/longprefix/: skipped 6 listed object(s) that are not safely "
                             "under the prefix, the first 'a' (outside the requested prefix)") != NULL, "%s", output);
    cr_expect(strstr(output, "2 objects, 2 downloaded") != NULL, "%s", output);
    free(output);
    const char *arrived[] = {"deep/out/good.csv", "deep/out/sub/nested.csv"};
    const char *absent[] = {"escape.csv", "deep/escape.csv", "deep/escape2.csv", "deep/out/escape2.csv",
                            "deep/out/dot.csv", "deep/out/absolute.csv", "deep/out/a", "deep/out/x.csv"};
    for (size_t i = 0; i < 2; i++) {
        char *path = files_join(directory, arrived[i]);
        cr_expect(files_exists(path), "%s arrived", arrived[i]);
        free(path);
    }
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++) {
        char *path = files_join(directory, absent[i]);
        cr_expect(!files_exists(path), "%s must not be written", absent[i]);
        free(path);
    }
    test_stop_server(server);
    free(out);
    test_remove_directory(directory);
}

/* tok-1, tok-2, tok-3, then tok-1 again: once endless (10,172 requests in
 * 20 s); now one line after the fourth page. */
Test(s3, a_listing_that_repeats_its_continuation_token_fails_in_one_line, .timeout = 60) {
    char *directory = test_temp_directory(), *out = files_join(directory, "out"), *output;
    int port, server = start_hostile("repeat-token", &port);
    cr_expect_eq(fetch_hostile(port, "", "s3://sprint6/exports/longprefix/", out, &output), 1, "%s", output);
    cr_expect(strstr(output, "the S3 listing of s3://sprint6/exports/longprefix/ repeats its continuation token 'tok-1' "
                             "after 4 pages") != NULL, "%s", output);
    cr_expect_eq(count_lines(output), 1, "one line: %s", output);
    cr_expect(!files_exists(out), "nothing fetched");
    free(output);
    test_stop_server(server);
    free(out);
    test_remove_directory(directory);
}

Test(s3, a_listing_with_ever_new_tokens_or_overfull_pages_stops_at_a_limit, .timeout = 60) {
    char *directory = test_temp_directory(), *out = files_join(directory, "out"), *output;
    int port, server = start_hostile("endless-tokens", &port);
    cr_expect_eq(fetch_hostile(port, "MARTLET_S3_MAX_PAGES=30", "s3://sprint6/exports/longprefix/", out, &output), 1);
    cr_expect(strstr(output, "goes on past 30 pages (MARTLET_S3_MAX_PAGES): stopped") != NULL, "%s", output);
    cr_expect_eq(count_lines(output), 1, "one line: %s", output);
    free(output);
    test_stop_server(server);
    server = start_hostile("truncated-no-token", &port);
    cr_expect_eq(fetch_hostile(port, "", "s3://sprint6/exports/longprefix/", out, &output), 1);
    cr_expect(strstr(output, "the S3 listing says it is truncated but gives no continuation token") != NULL, "%s", output);
    free(output);
    test_stop_server(server);
    server = start_hostile("too-many-keys", &port);
    cr_expect_eq(fetch_hostile(port, "MARTLET_S3_MAX_KEYS=5", "s3://sprint6/exports/longprefix/", out, &output), 1);
    cr_expect(strstr(output, "the S3 listing returned more than the 5 keys a page was asked for") != NULL, "%s", output);
    free(output);
    test_stop_server(server);
    free(out);
    test_remove_directory(directory);
}

/* The server's error code carries ESC[31m and a newline: shown escaped. */
Test(s3, server_error_text_is_shown_escaped_on_one_line, .timeout = 60) {
    char *directory = test_temp_directory(), *out = files_join(directory, "out"), *output;
    int port, server = start_hostile("error-text", &port);
    cr_expect_eq(fetch_hostile(port, "", "s3://sprint6/exports/", out, &output), 1);
    cr_expect(strstr(output, "access denied to s3://sprint6/exports/ (AccessDenied\\x1b[31m\\nFORGED)") != NULL, "%s", output);
    cr_expect(strchr(output, '\x1b') == NULL && count_lines(output) == 1, "%s", output);
    free(output);
    test_stop_server(server);
    free(out);
    test_remove_directory(directory);
}

Test(s3, a_password_in_the_endpoints_user_info_is_never_printed, .timeout = 60) {
    char *directory = test_temp_directory(), *out = files_join(directory, "out"), *output;
    int port, server = start_hostile("bad-keys", &port);
    test_stop_server(server); /* nothing listens there now */
    char *binary = test_martlet();
    struct strbuf command;
    strbuf_init(&command);
    strbuf_printf(&command, "env MARTLET_S3_ENDPOINT=http://user:S3-URL-SECRET-7@127.0.0.1:%d MARTLET_S3_RETRIES=1"
                            " %s fetch s3://sprint6/exports/ --out %s", port, binary, out);
    cr_expect_eq(test_run_command(strbuf_text(&command), &output), 1);
    cr_expect(strstr(output, "GET http://***@127.0.0.1:") != NULL, "%s", output);
    cr_expect(strstr(output, "S3-URL-SECRET-7") == NULL, "the endpoint's password leaked: %s", output);
    free(output);
    strbuf_free(&command);
    free(binary);
    free(out);
    test_remove_directory(directory);
}

/* A download that cannot be written -- here a 512 KB file size limit
 * (ulimit -f, EFBIG; a full disk is ENOSPC and says "no space left on
 * device") -- names the file and the cause, and leaves no partial file. */
Test(s3, a_download_that_cannot_be_written_says_why_and_leaves_no_partial_file, .timeout = 60) {
    char *directory = test_temp_directory(), *out = files_join(directory, "out"), *output;
    int port, server = start_hostile("big-object 4194304", &port);
    cr_expect_eq(fetch_hostile(port, "trap '' XFSZ; ulimit -f 1024;", "s3://sprint6/big.bin", out, &output), 1);
    char expected[700];
    snprintf(expected, sizeof expected, "cannot write %s/big.bin: file too large", out);
    cr_expect(strstr(output, expected) != NULL, "%s", output);
    cr_expect(strstr(output, "Failed writing received data") == NULL, "%s", output);
    free(output);
    char *file = files_join(out, "big.bin"), *partial = files_join(out, "big.bin.part");
    cr_expect(!files_exists(file) && !files_exists(partial), "no partial file is left");
    free(file);
    free(partial);
    test_stop_server(server);
    free(out);
    test_remove_directory(directory);
}

/* A download into a folder others may write to: a symbolic link planted as
 * NAME.part (a predictable name) must not make the download write through
 * it into the file it points to. Before, open(O_TRUNC) followed it. */
Test(s3, a_link_planted_as_a_downloads_part_name_is_not_followed, .timeout = 60) {
    char *directory = test_temp_directory(), *out = files_join(directory, "out"), *output;
    struct error err;
    cr_assert_eq(files_make_directories(out, &err), 0, "%s", err.message);
    char *victim = test_write_file(directory, "victim.txt", "keep\n"), *planted = files_join(out, "big.bin.part");
    cr_assert_eq(symlink(victim, planted), 0);
    int port, server = start_hostile("big-object 4096", &port);
    cr_expect_eq(fetch_hostile(port, "", "s3://sprint6/big.bin", out, &output), 0, "%s", output);
    free(output);
    char *kept = NULL, *file = files_join(out, "big.bin");
    cr_assert_eq(files_read_all(victim, &kept, &err), 0, "%s", err.message);
    cr_expect_str_eq(kept, "keep\n", "the download wrote through the planted link");
    struct stat info;
    cr_expect(lstat(file, &info) == 0 && S_ISREG(info.st_mode) && info.st_size == 4096, "big.bin is the object");
    free(kept);
    free(file);
    free(planted);
    free(victim);
    test_stop_server(server);
    free(out);
    test_remove_directory(directory);
}
