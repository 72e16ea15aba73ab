/* clickhouse_sql.h -- the text side of the ClickHouse driver: its URL,
 * splitting a script into statements, translating the engine's portable
 * statements (schemas, CREATE TABLE, DELETE, transactions) into
 * ClickHouse's, binding $n parameters as quoted literals, and reading
 * TabSeparatedWithNames results. Pure functions: no network. */
#ifndef MARTLET_CLICKHOUSE_SQL_H
#define MARTLET_CLICKHOUSE_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"
#include "../util/strbuf.h"
#include "warehouse.h"

#define CLICKHOUSE_MAX_SERVERS 16
#define CLICKHOUSE_NAME_SIZE 64
#define CLICKHOUSE_HOST_SIZE 256

struct clickhouse_server {
    char host[CLICKHOUSE_HOST_SIZE];
    int port;                                  /* HTTP */
};

/* clickhouse://HOST:PORT/DATABASE?cluster=NAME&servers=HOST:PORT,HOST:PORT */
struct clickhouse_location {
    struct clickhouse_server main;             /* the server of the URL */
    char database[CLICKHOUSE_NAME_SIZE];
    char cluster[CLICKHOUSE_NAME_SIZE];        /* "" = one server */
    struct clickhouse_server servers[CLICKHOUSE_MAX_SERVERS];  /* from servers=, else found in system.clusters */
    size_t server_count;
};

int clickhouse_parse_location(const char *url, struct clickhouse_location *location, struct error *err);

/* What a translated statement is to the driver. */
enum clickhouse_statement_kind {
    CLICKHOUSE_SKIP,          /* a transaction statement: ClickHouse has none */
    CLICKHOUSE_PLAIN,         /* run on the main server */
    CLICKHOUSE_EVERY_SERVER,  /* DDL every server needs (CREATE DATABASE) */
    CLICKHOUSE_MUTATION,      /* ALTER TABLE ... DELETE: wait until it is done */
    CLICKHOUSE_INSERT,        /* INSERT INTO relation ...: count rows around it */
};

struct clickhouse_statement {
    enum clickhouse_statement_kind kind;
    struct strbuf sql;                         /* the statement to send */
    char relation[2 * CLICKHOUSE_NAME_SIZE + 1];  /* MUTATION, INSERT: database.table */
};

char **clickhouse_split_statements(const char *script, size_t *count);
void clickhouse_free_statements(char **statements, size_t count);
int clickhouse_translate(const char *statement, struct clickhouse_statement *translated, struct error *err);
int clickhouse_bind(const char *sql, const char *const *params, size_t param_count, struct strbuf *out,
                    struct error *err);
void clickhouse_quote(struct strbuf *out, const char *text);
int clickhouse_parse_tsv(const char *text, size_t length, struct warehouse_result **result, struct error *err);
void clickhouse_append_tsv_escaped(struct strbuf *out, const char *text, size_t length);
bool clickhouse_code_is_transient(int code);

/* The MATERIALIZED Date column a replace_dates source's sharded staging
 * table is partitioned by (the day of its date column): SELECT * leaves
 * it out. */
#define CLICKHOUSE_PARTITION_COLUMN "martlet_partition_day"

/* A DELETE of a range of days (clickhouse_parse_date_delete). */
struct clickhouse_date_delete {
    char relation[2 * CLICKHOUSE_NAME_SIZE + 1];
    char column[CLICKHOUSE_NAME_SIZE];
    char first[11], last[11];                  /* YYYY-MM-DD */
};

bool clickhouse_parse_date_delete(const char *statement, struct clickhouse_date_delete *range);
bool clickhouse_day_expression(const char *type, const char *column, struct strbuf *out);
void clickhouse_rewrite_standard(const char *sql, struct strbuf *out);

#endif
