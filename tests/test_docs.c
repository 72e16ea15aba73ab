/* test_docs.c -- lineage and docs: `martlet docs PIPELINE --out DIR` (the
 * static site) and the same pages in `martlet serve`, over the shop
 * fixture of tests/data/serve before and after a real run. */
#include "helpers.h"
#include "test_serve_support.h"
#include "../src/util/files.h"
#include "../src/util/memory.h"
#include "../src/util/strbuf.h"

#include <cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "docs-secret-4b1d0c"

/* Gives mart.daily_revenue tags, a data test, and a description that
 * quotes the API key (as a careless author might), then sets the key. */
static void annotate_model(const struct serve_fixture *fixture) {
    char *path = files_join(fixture->directory, "pipelines/shop/models/daily_revenue.sql");
    const char *text = "-- name: mart.daily_revenue\n"
                       "-- description: Revenue per day (the feed's key was " SECRET ").\n"
                       "-- depends_on: staging.orders\n"
                       "-- materialized: table\n"
                       "-- tags: daily, finance\n"
                       "-- test: not_null(day, revenue)\n"
                       "SELECT day, sum(amount) AS revenue, count(*) AS orders\n"
                       "FROM {{ staging }}.orders\n"
                       "GROUP BY day\n";
    struct error err;
    cr_assert_eq(files_write_all(path, text, strlen(text), &err), 0, "%s", err.message);
    free(path);
    setenv("MARTLET_API_KEY", SECRET, 1);
}

/* The text of DIR/NAME, which must exist. */
static char *site_file(const char *directory, const char *name) {
    char *path = files_join(directory, name), *text = NULL;
    struct error err;
    cr_assert_eq(files_read_all(path, &text, &err), 0, "%s: %s", name, err.message);
    free(path);
    return text;
}

/* The part of text from the first `from` to the next `to` included (a copy). */
static char *between(const char *text, const char *from, const char *to) {
    const char *start = strstr(text, from);
    cr_assert_not_null(start, "no %s in %s", from, text);
    const char *end = strstr(start, to);
    cr_assert_not_null(end, "no %s after %s", to, from);
    size_t length = (size_t)(end - start) + strlen(to);
    char *copy = memory_alloc(length + 1);
    memcpy(copy, start, length);
    copy[length] = '\0';
    return copy;
}

/* martlet docs shop --out DIR/OUT against the fixture's warehouse. */
static void write_docs(const struct serve_fixture *fixture, const char *out) {
    char *output = NULL;
    const char *d = fixture->directory;
    int code = test_martlet_run(&output, "docs shop --out %s/%s --pipelines %s/pipelines --warehouse '%s'", d, out, d,
                                fixture->warehouse);
    cr_assert_eq(code, 0, "%s", output);
    cr_expect(strstr(output, "3 sources and models") != NULL, "%s", output);
    free(output);
}

/* No file of the site carries the secret, the warehouse's file or where
 * the pipelines live on this machine. */
static void expect_no_secret(const struct serve_fixture *fixture, const char *out) {
    static const char *const files[] = {"index.html", "staging.orders.html", "mart.daily_revenue.html",
                                        "mart.big_days.html", "lineage.svg", "catalog.json"};
    char *site = files_join(fixture->directory, out);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *text = site_file(site, files[i]);
        cr_expect(strstr(text, SECRET) == NULL, "%s shows the API key", files[i]);
        cr_expect(strstr(text, "w.duckdb") == NULL, "%s names the warehouse", files[i]);
        cr_expect(strstr(text, fixture->directory) == NULL, "%s names the checkout's folder", files[i]);
        free(text);
    }
    free(site);
}

Test(docs, docs_out_writes_every_page_with_columns_tests_upstream_downstream_and_no_secret, .timeout = 120) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    annotate_model(&fixture);

    /* Before any run: no warehouse file, so nothing built -- sources show their declared columns. */
    write_docs(&fixture, "before");
    char *site = files_join(fixture.directory, "before");
    char *orders = site_file(site, "staging.orders.html"), *revenue = site_file(site, "mart.daily_revenue.html");
    cr_expect(strstr(orders, "<td>amount</td><td><code>decimal(10,2)</code></td>") != NULL, "%s", orders);
    cr_expect(strstr(orders, "pipeline.json declares them") != NULL, "%s", orders);
    cr_expect(strstr(revenue, "Not built yet") != NULL, "%s", revenue);
    cr_expect(!files_exists(fixture.warehouse + 7), "docs created the warehouse");
    free(orders);
    free(revenue);
    free(site);

    serve_fixture_run_shop(&fixture, "2024-05-01", 1); /* daily_revenue builds, big_days fails */
    write_docs(&fixture, "site");
    site = files_join(fixture.directory, "site");
    revenue = site_file(site, "mart.daily_revenue.html");
    char *columns = between(revenue, "<table id=\"columns\"", "</table>");
    cr_expect(strstr(columns, "<td>day</td>") && strstr(columns, "<td>revenue</td>") && strstr(columns, "<td>orders</td>"),
              "%s", columns);
    cr_expect(strstr(columns, "DECIMAL(38,2)") != NULL, "the warehouse's types: %s", columns);
    char *upstream = between(revenue, "<ul id=\"upstream\">", "</ul>"), *downstream = between(revenue, "<ul id=\"downstream\">", "</ul>");
    cr_expect_str_eq(upstream, "<ul id=\"upstream\"><li><a href=\"staging.orders.html\">staging.orders</a></li></ul>");
    cr_expect_str_eq(downstream, "<ul id=\"downstream\"><li><a href=\"mart.big_days.html\">mart.big_days</a></li></ul>");
    cr_expect(strstr(revenue, "<code>not_null(day, revenue)</code>") != NULL, "%s", revenue);
    cr_expect(strstr(revenue, "daily, finance") != NULL, "%s", revenue);
    cr_expect(strstr(revenue, "<th>materialized</th><td>table</td>") != NULL, "%s", revenue);
    cr_expect(strstr(revenue, "Revenue per day (the feed&#39;s key was ***") != NULL, "%s", revenue);
    cr_expect(strstr(revenue, "class=\"node k-model focus\" data-task=\"mart.daily_revenue\"") != NULL, "%s", revenue);
    cr_expect(strstr(revenue, "href=\"docs.css\"") != NULL && strstr(revenue, "http") == strstr(revenue, "http://www.w3.org"),
              "a page links nothing outside the folder: %s", revenue);
    free(columns);
    free(upstream);
    free(downstream);
    free(revenue);

    char *index = site_file(site, "index.html"), *svg = site_file(site, "lineage.svg");
    for (const char *name = "staging.orders"; name; name = strcmp(name, "staging.orders") == 0 ? "mart.big_days" : NULL) {
        char link[128];
        snprintf(link, sizeof link, "<a href=\"%s.html\">", name);
        cr_expect(strstr(index, link) != NULL, "the index links %s: %s", name, index);
        cr_expect(strstr(svg, link) != NULL, "the lineage links %s: %s", name, svg);
    }
    size_t edges = 0;
    for (const char *p = svg; (p = strstr(p, "<line class=\"edge\"")) != NULL; p++) edges++;
    cr_expect_eq(edges, 2, "orders -> daily_revenue -> big_days: %zu edges", edges);
    free(index);
    free(svg);
    char *big_days = site_file(site, "mart.big_days.html");
    cr_expect(strstr(big_days, "Not built yet") != NULL, "a model whose run failed has no table: %s", big_days);
    free(big_days);
    char *css = site_file(site, "docs.css");
    cr_expect(strstr(css, ".lineage") != NULL);
    free(css);
    free(site);
    expect_no_secret(&fixture, "before");
    expect_no_secret(&fixture, "site");
    unsetenv("MARTLET_API_KEY");
    serve_fixture_free(&fixture);
}

Test(docs, docs_refuses_a_missing_out_and_an_unknown_pipeline, .timeout = 60) {
    char *output = NULL;
    int code = test_martlet_run(&output, "docs shop --pipelines tests/data/serve/pipelines");
    cr_expect_eq(code, 2, "%s", output);
    cr_expect(strstr(output, "--out DIR is required") != NULL, "%s", output);
    free(output);
    char *directory = test_temp_directory();
    code = test_martlet_run(&output, "docs nosuch --out %s/x --pipelines tests/data/serve/pipelines --no-warehouse", directory);
    cr_expect_eq(code, 1, "%s", output);
    cr_expect(strstr(output, "no pipeline 'nosuch'") != NULL, "%s", output);
    free(output);
    test_remove_directory(directory);
}

Test(docs, serve_shows_the_same_pages_and_answers_the_catalog_as_json, .timeout = 120) {
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    annotate_model(&fixture);
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    write_docs(&fixture, "site");
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);

    struct http_answer page = serve_http(&fixture, "GET", "/pipelines/shop/docs/mart.daily_revenue", NULL, NULL);
    cr_assert_eq(page.status, 200, "%s", page.body);
    char *site = files_join(fixture.directory, "site"), *file = site_file(site, "mart.daily_revenue.html");
    char *served = between(page.body, "<table id=\"columns\"", "</table>"), *written = between(file, "<table id=\"columns\"", "</table>");
    cr_expect_str_eq(served, written, "one renderer: the server's columns differ from the site's");
    cr_expect(strstr(page.body, "<a href=\"/pipelines/shop/docs/staging.orders\">staging.orders</a>") != NULL, "%s", page.body);
    cr_expect(strstr(page.body, "href=\"/static/docs.css\"") != NULL);
    cr_expect(strstr(page.body, SECRET) == NULL);
    free(served);
    free(written);
    free(file);
    free(site);
    http_answer_free(&page);

    page = serve_http(&fixture, "GET", "/pipelines/shop/docs", NULL, NULL);
    cr_expect_eq(page.status, 200);
    cr_expect(strstr(page.body, "<svg class=\"lineage\"") != NULL, "%s", page.body);
    http_answer_free(&page);
    page = serve_http(&fixture, "GET", "/static/docs.css", NULL, NULL);
    cr_expect_eq(page.status, 200);
    http_answer_free(&page);

    struct http_answer api = serve_http(&fixture, "GET", "/api/pipelines/shop/docs", NULL, NULL);
    cr_assert_eq(api.status, 200, "%s", api.body);
    cJSON *catalog = cJSON_Parse(api.body);
    cr_assert_not_null(catalog, "%s", api.body);
    const cJSON *task, *revenue = NULL;
    cJSON_ArrayForEach(task, cJSON_GetObjectItem(catalog, "tasks"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(task, "name")), "mart.daily_revenue") == 0) revenue = task;
    cr_assert_not_null(revenue, "%s", api.body);
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(revenue, "columns_from")), "warehouse");
    cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(revenue, "downstream"), 0)), "mart.big_days");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(revenue, "columns")), 3);
    cr_expect(strstr(api.body, SECRET) == NULL);
    cJSON_Delete(catalog);
    http_answer_free(&api);

    const char *const refused[][2] = {{"/pipelines/shop/docs/mart.nosuch", "404"}, {"/pipelines/nosuch/docs", "404"},
                                      {"/api/pipelines/nosuch/docs", "404"}, {"/api/pipelines/No-Such/docs", "400"}};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        struct http_answer answer = serve_http(&fixture, "GET", refused[i][0], NULL, NULL);
        cr_expect_eq(answer.status, atol(refused[i][1]), "%s: %ld", refused[i][0], answer.status);
        http_answer_free(&answer);
    }
    unsetenv("MARTLET_API_KEY");
    serve_fixture_free(&fixture);
}

/* The browser test (tests/ui/docs.test.js): the server's docs pages and
 * the static site from disk, after a real run. Screenshots go to
 * $MARTLET_UI_SCREENSHOTS (docs/img refreshes the README's) or a
 * temporary folder. */
Test(docs_ui, the_browser_opens_the_docs_clicks_a_model_and_sees_its_columns_and_lineage, .timeout = 300) {
    serve_fixture_need_browser();
    struct serve_fixture fixture;
    serve_fixture_prepare(&fixture);
    serve_fixture_run_shop(&fixture, "2024-05-01", 1);
    write_docs(&fixture, "site");
    serve_fixture_start(&fixture, "MARTLET_SERVE_TOKEN=" TEST_SERVE_TOKEN, NULL);
    char environment[1024];
    snprintf(environment, sizeof environment, "DOCS_SITE=%s/site", fixture.directory);
    serve_fixture_run_browser_test(&fixture, environment, "tests/ui/docs.test.js");
}

Test(docs, docs_reads_the_columns_of_a_postgresql_warehouse, .timeout = 120) {
    char *url = NULL;
    NEED_POSTGRES(url);
    struct serve_fixture fixture;
    serve_fixture_prepare_shop_on(&fixture, url);
    write_docs(&fixture, "site");
    char *site = files_join(fixture.directory, "site"), *revenue = site_file(site, "mart.daily_revenue.html");
    char *columns = between(revenue, "<table id=\"columns\"", "</table>");
    cr_expect(strstr(columns, "<tr><td>day</td><td><code>date</code></td></tr>") != NULL, "%s", columns);
    cr_expect(strstr(columns, "<tr><td>orders</td><td><code>bigint</code></td></tr>") != NULL, "%s", columns);
    char *catalog = site_file(site, "catalog.json");
    cr_expect(strstr(catalog, "postgresql://") == NULL && strstr(catalog, "password") == NULL, "%s", catalog);
    free(catalog);
    free(columns);
    free(revenue);
    free(site);
    serve_fixture_free(&fixture);
}

/* The pages' one writer of markup with values: every %s argument is
 * escaped (quotes included: values sit in attributes), %d is a number,
 * %% a percent sign, and the markup itself is kept as is. */
Test(strbuf, html_markup_escapes_every_text_argument) {
    struct strbuf out;
    strbuf_init(&out);
    strbuf_append_html(&out, "<a title=\"%s\">%s</a> %d%%.", "\"><script>'x'</script>", "a & b", -7);
    cr_assert_str_eq(strbuf_text(&out), "<a title=\"&quot;&gt;&lt;script&gt;&#39;x&#39;&lt;/script&gt;\">a &amp; b</a> -7%.");
    strbuf_free(&out);
}
