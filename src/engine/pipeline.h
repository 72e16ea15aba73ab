/* pipeline.h -- a pipeline as data: pipelines/<name>/pipeline.json declares
 * its schemas and sources, every .sql file under pipelines/<name>/models its models.
 *
 * A model file starts with header comments that tell the engine what it is:
 *
 *     -- name: dds.h_users
 *     -- depends_on: staging.users, staging.dialogs
 *     -- materialized: insert_new_keys
 *     -- unique_key: hk_user_id
 *
 * and continues with one SELECT (or, for `materialized: script`, plain
 * statements). header.h gives the header's grammar, model_header.c the
 * keys a model knows; pipeline.c holds the table of keys of every level of
 * pipeline.json, and an unknown key anywhere is an error. Functions whose SQL differs between warehouses live in
 * macros/<dialect>.sql (duckdb.sql, postgres.sql), run before every run. Names are `<schema key>.<table>`; the schema key maps to a
 * physical schema in pipeline.json, so `{{ dds }}` in SQL renders it. */
#ifndef MARTLET_PIPELINE_H
#define MARTLET_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"
#include "../warehouse/batch.h"
#include "cron.h"

enum materialization {
    MATERIALIZE_TABLE,               /* rebuilt from scratch each run */
    MATERIALIZE_VIEW,
    MATERIALIZE_INSERT_NEW_KEYS,     /* append rows whose unique_key is new */
    MATERIALIZE_INCREMENTAL_BY_DATE, /* replace the rows of the run's dates */
    MATERIALIZE_SATELLITE,           /* append rows whose hashdiff differs from the key's latest */
    MATERIALIZE_SCRIPT,              /* run the statements as written */
};

struct schema_mapping {
    char *key;       /* the name models use: "staging" */
    char *name;      /* the physical schema: "staging", or "staging__dev" in environment dev */
};

enum source_load {
    LOAD_REPLACE,             /* the file is a full snapshot: replace the table */
    LOAD_REPLACE_DATES,       /* replace exactly the dates the loaded files contain */
    LOAD_BATCH,               /* the table holds this run's rows: every date's increment, or a snapshot */
};

struct source {
    char *name;               /* "staging.users": how models depend on it */
    char *schema_key;
    char *table;
    char *file;               /* file name inside the source folder */
    struct column *columns;
    size_t column_count;
    char delimiter;
    char quote;
    bool header;
    long max_rejects;
    enum source_load load;
    char *date_column;        /* LOAD_REPLACE_DATES: the column that dates a row */
    char *deduplicate_on;     /* keep one row per value of this column, or NULL */
    bool optional;            /* a missing file loads nothing instead of failing */
    bool allow_all_rejected;  /* a file whose every data row is rejected does not fail the load */
    bool skip_unchanged;      /* a snapshot whose file is what the last good load read is not reloaded (source_task.h) */
    char **tests;             /* "tests": data tests on the loaded table (data_tests.h), e.g. freshness(...) */
    size_t test_count;
};

/* The model's SQL for one warehouse, from NAME.DIALECT.sql beside NAME.sql
 * (e.g. h_users.clickhouse.sql): the SQL differs, the header is NAME.sql's. */
struct model_variant {
    char *dialect;
    char *path;
    char *sql;
};

struct model {
    char *name;               /* "dds.h_users" */
    char *schema_key;
    char *table;
    char *path;
    char *description;
    char **depends_on;        /* "-- depends_on:", or inferred from the SQL's references (model_references.h) */
    size_t depends_count;
    char **tags;              /* "-- tags: daily, finance": for selection (tag:daily) */
    size_t tag_count;
    enum materialization materialized;
    char **unique_key;
    size_t unique_key_count;
    char *date_column;        /* MATERIALIZE_INCREMENTAL_BY_DATE */
    char *parent_key;         /* MATERIALIZE_SATELLITE: the hub or link hash key */
    char *hashdiff;           /* MATERIALIZE_SATELLITE: hash of the descriptive columns */
    char *shard_by;           /* the shard key on a distributed warehouse, or NULL (see clickhouse_materialize.c) */
    char **tests;             /* "-- test:" lines (see data_tests.h) */
    size_t test_count;
    bool tests_warn;          /* "-- test_severity: warn": report, do not fail */
    double timeout_seconds;   /* "-- timeout: 30s": cancel the task past it; 0 = the run's default */
    int retries;              /* "-- retries: 3": tries again after a transient error; -1 = the run's default */
    char *sql;                /* the file's text, template markers included */
    struct model_variant *variants;
    size_t variant_count;
};

/* When `martlet schedule` runs the pipeline: a firing of the cron (UTC)
 * makes every date up to the day before it due, from start_date on; with
 * catchup false only the latest due date is run. */
struct schedule {
    char *cron_text;
    struct cron cron;
    char start_date[11];
    bool catchup;
    char *source;             /* where a date's files come from: "files" (default), "api", "s3" */
};

/* Who hears of a run's end (alerts.h): a command or an http(s) URL each, or NULL. */
struct pipeline_alerts {
    char *on_failure, *on_success, *on_sla_miss;
    int sla_minutes;          /* "sla": minutes after midnight UTC of the day after a date; -1 = none */
};

struct environment;

struct pipeline {
    char *name;
    char *directory;
    char *description;
    struct schema_mapping *schemas;
    size_t schema_count;
    struct source *sources;
    size_t source_count;
    struct model *models;
    size_t model_count;
    char *history_layout;     /* where a full load's files are: "{file}" */
    char *increment_layout;   /* where a date's files are, e.g. "increments/{date}/{file}"; NULL = none */
    bool snapshot_fallback;   /* a source without its increments reads the history file (a snapshot) */
    char *api;                /* the remote source that can fill the folder ("report_api"), or NULL */
    char *s3;                 /* where the source files live in S3 ("s3://bucket/prefix/"), or NULL */
    struct schedule *schedule;  /* NULL = run by hand (or cron) only */
    struct pipeline_alerts alerts;
    struct environment *environment;  /* --env (environment.h): where tasks write and read; NULL = prod */
};

/* One key of one level of pipeline.json ("pipeline" = the top level,
 * "source", "csv", "column", "layout", "schedule"); kind is "string",
 * "count" (a whole number >= 0), "boolean", "object" or "list". */
struct pipeline_json_key {
    const char *level;
    const char *name;
    const char *kind;
    bool required;
};

size_t pipeline_json_keys(struct pipeline_json_key *keys, size_t capacity);
int pipeline_load(const char *directory, struct pipeline **pipeline, struct error *err);
int pipeline_split_name(const char *name, char **schema_key, char **table, struct error *err);
void pipeline_free(struct pipeline *pipeline);
const struct model_variant *pipeline_model_variant(const struct model *model, const char *dialect);
const char *pipeline_schema(const struct pipeline *pipeline, const char *key);
const char *materialization_name(enum materialization materialization);

#endif
