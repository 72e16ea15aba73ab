/* test_serve_support.h -- a real `martlet serve` over a DuckDB warehouse
 * after real runs of tests/data/serve's shop pipeline, and HTTP requests
 * to it through libcurl (shared by test_serve.c and test_alerts.c). */
#ifndef MARTLET_TEST_SERVE_SUPPORT_H
#define MARTLET_TEST_SERVE_SUPPORT_H

#include <stdbool.h>

#define TEST_SERVE_TOKEN "test-token-0123456789abcdef"

struct serve_fixture {
    char *directory;      /* a copy of tests/data/serve: pipelines/, data/, and the warehouse w.duckdb */
    char *warehouse;      /* duckdb:DIR/w.duckdb */
    int pid, port;
};

struct http_answer {
    long status;
    char *body;
};

void serve_fixture_prepare(struct serve_fixture *fixture);
void serve_fixture_prepare_shop_on(struct serve_fixture *fixture, char *url);
void serve_fixture_need_browser(void);
void serve_fixture_run_shop(struct serve_fixture *fixture, const char *date, int expected_code);
void serve_fixture_start(struct serve_fixture *fixture, const char *environment, const char *options);
void serve_fixture_stop(struct serve_fixture *fixture);
void serve_fixture_free(struct serve_fixture *fixture);
void serve_fixture_run_browser_test(struct serve_fixture *fixture, const char *environment, const char *script);
struct http_answer serve_http(const struct serve_fixture *fixture, const char *method, const char *path,
                              const char *const *headers, const char *body);
void http_answer_free(struct http_answer *answer);
bool serve_wait_for_run(const struct serve_fixture *fixture, const char *status_filter, const char *text,
                        double seconds);

#endif
