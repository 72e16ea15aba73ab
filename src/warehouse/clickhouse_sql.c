/* clickhouse_sql.c -- see clickhouse_sql.h. The engine writes SQL that
 * DuckDB and PostgreSQL share; ClickHouse differs in a few statements the
 * engine cannot avoid (schemas are databases, tables need an engine, rows
 * are removed by mutations or TRUNCATE, there are no transactions). Those
 * are recognized by their leading words and rewritten here, so the engine
 * stays one for every warehouse; everything else passes unchanged. */
#include "clickhouse_sql.h"
#include "../util/identifier.h"
#include "../util/memory.h"
#include "../loader/value.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Copies a HOST:PORT pair; the host is letters, digits, dots, dashes only
 * (it reaches a URL), the port 1..65535. */
static int parse_server(const char *text, size_t length, struct clickhouse_server *server, struct error *err) {
    const char *colon = memchr(text, ':', length);
    if (colon == NULL || colon == text || (size_t)(colon - text) >= sizeof server->host)
        return error_set(err, "ClickHouse URL: expected HOST:PORT, got '%.*s'", (int)length, text);
    for (const char *p = text; p < colon; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
            return error_set(err, "ClickHouse URL: invalid host '%.*s'", (int)(colon - text), text);
    long port = 0;
    for (const char *p = colon + 1; p < text + length; p++) {
        if (!isdigit((unsigned char)*p) || port > 65535)
            return error_set(err, "ClickHouse URL: invalid port '%.*s'", (int)(text + length - colon - 1), colon + 1);
        port = port * 10 + (*p - '0');
    }
    if (port < 1 || port > 65535)
        return error_set(err, "ClickHouse URL: invalid port '%.*s'", (int)(text + length - colon - 1), colon + 1);
    memcpy(server->host, text, (size_t)(colon - text));
    server->host[colon - text] = '\0';
    server->port = (int)port;
    return 0;
}

/* Reads clickhouse://HOST:PORT/DATABASE[?cluster=NAME][&servers=H:P,H:P].
 * DATABASE and NAME must be plain identifiers (they reach SQL); servers=
 * lists every server's HTTP address when they are not all on PORT (a
 * loopback cluster). No user or password in the URL: they come from
 * CLICKHOUSE_USER / CLICKHOUSE_PASSWORD. */
int clickhouse_parse_location(const char *url, struct clickhouse_location *location, struct error *err) {
    memset(location, 0, sizeof *location);
    const char *prefix = "clickhouse://";
    if (strncmp(url, prefix, strlen(prefix)) != 0)
        return error_set(err, "ClickHouse URL must start with clickhouse://");
    const char *host = url + strlen(prefix);
    if (strchr(host, '@'))
        return error_set(err, "ClickHouse URL: give the user and password in CLICKHOUSE_USER and CLICKHOUSE_PASSWORD, not in the URL");
    const char *slash = strchr(host, '/');
    if (slash == NULL) return error_set(err, "ClickHouse URL: expected clickhouse://HOST:PORT/DATABASE");
    if (parse_server(host, (size_t)(slash - host), &location->main, err) != 0) return -1;
    const char *database = slash + 1, *query = strchr(database, '?');
    size_t database_length = query ? (size_t)(query - database) : strlen(database);
    if (database_length == 0 || database_length >= sizeof location->database)
        return error_set(err, "ClickHouse URL: expected clickhouse://HOST:PORT/DATABASE");
    memcpy(location->database, database, database_length);
    if (!identifier_is_valid(location->database))
        return error_set(err, "ClickHouse URL: invalid database name '%s'", location->database);
    for (const char *p = query ? query + 1 : NULL; p && *p;) {
        const char *end = strchr(p, '&');
        size_t length = end ? (size_t)(end - p) : strlen(p);
        if (strncmp(p, "cluster=", 8) == 0) {
            size_t name_length = length - 8;
            if (name_length == 0 || name_length >= sizeof location->cluster)
                return error_set(err, "ClickHouse URL: invalid cluster name");
            memcpy(location->cluster, p + 8, name_length);
            location->cluster[name_length] = '\0';
            if (!identifier_is_valid(location->cluster))
                return error_set(err, "ClickHouse URL: invalid cluster name '%s'", location->cluster);
        } else if (strncmp(p, "servers=", 8) == 0) {
            for (const char *item = p + 8; item < p + length;) {
                const char *comma = memchr(item, ',', (size_t)(p + length - item));
                const char *item_end = comma ? comma : p + length;
                if (location->server_count == CLICKHOUSE_MAX_SERVERS)
                    return error_set(err, "ClickHouse URL: more than %d servers", CLICKHOUSE_MAX_SERVERS);
                if (parse_server(item, (size_t)(item_end - item), &location->servers[location->server_count++], err) != 0)
                    return -1;
                item = comma ? comma + 1 : item_end;
            }
        } else {
            return error_set(err, "ClickHouse URL: unknown parameter '%.*s' (expected cluster= or servers=)", (int)length, p);
        }
        p = end ? end + 1 : p + length;
    }
    return 0;
}

/* Splits a script into statements at semicolons outside quotes and
 * comments (the HTTP interface runs one statement per request). Blank
 * statements are dropped. */
char **clickhouse_split_statements(const char *script, size_t *count) {
    char **statements = NULL;
    *count = 0;
    const char *start = script, *p = script;
    bool meaningful = false;
    for (;;) {
        if (*p == '\'' || *p == '"' || *p == '`') {
            char quote = *p++;
            while (*p && *p != quote) p += *p == '\\' && p[1] ? 2 : 1;
            if (*p) p++;
            meaningful = true;
            continue;
        }
        if (p[0] == '-' && p[1] == '-') { while (*p && *p != '\n') p++; continue; }
        if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
            continue;
        }
        if (*p == ';' || *p == '\0') {
            if (meaningful) {
                statements = memory_realloc(statements, (*count + 1) * sizeof *statements);
                statements[(*count)++] = memory_strndup(start, (size_t)(p - start));
            }
            if (*p == '\0') break;
            start = ++p;
            meaningful = false;
            continue;
        }
        if (!isspace((unsigned char)*p)) meaningful = true;
        p++;
    }
    return statements;
}

/* Frees what clickhouse_split_statements returned. */
void clickhouse_free_statements(char **statements, size_t count) {
    for (size_t i = 0; i < count; i++) free(statements[i]);
    free(statements);
}

/* Past blanks and comments. */
static const char *skip_blank(const char *p) {
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (p[0] == '-' && p[1] == '-') { while (*p && *p != '\n') p++; continue; }
        if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
            continue;
        }
        return p;
    }
}

/* If text starts with the words of phrase (case-insensitive, any blanks
 * between them), returns what follows, else NULL. */
static const char *match_words(const char *text, const char *phrase) {
    const char *p = skip_blank(text);
    while (*phrase) {
        if (*phrase == ' ') {
            if (!isspace((unsigned char)*p)) return NULL;
            while (isspace((unsigned char)*p)) p++;
            phrase++;
            continue;
        }
        if (tolower((unsigned char)*p) != tolower((unsigned char)*phrase)) return NULL;
        p++;
        phrase++;
    }
    if (isalnum((unsigned char)*p) || *p == '_') return NULL;   /* a longer word */
    return p;
}

/* Reads a relation name (identifier, optionally schema.identifier) into
 * relation; returns what follows or NULL. */
static const char *read_relation(const char *p, char *relation, size_t size) {
    p = skip_blank(p);
    const char *start = p;
    while (isalnum((unsigned char)*p) || *p == '_' || *p == '.') p++;
    if (p == start || (size_t)(p - start) >= size) return NULL;
    memcpy(relation, start, (size_t)(p - start));
    relation[p - start] = '\0';
    return p;
}

/* The ClickHouse type of a portable one (BIGINT, DECIMAL(p,s), TEXT, ...),
 * Nullable unless the column says NOT NULL. A TIMESTAMP column is a String
 * holding DuckDB's text of it ("2021-04-06 09:40:25.557623"): 18.16's
 * DateTime keeps whole seconds only (no DateTime64), and the text of
 * equal-width dates sorts and compares like the instants, hashes into the
 * same keys as on the other warehouses, and prints the same. */
static int append_type(struct strbuf *out, const char *declaration, struct error *err) {
    const char *p = skip_blank(declaration);
    const char *type_start = p;
    while (isalnum((unsigned char)*p) || *p == '_') p++;
    size_t type_length = (size_t)(p - type_start);
    const char *arguments = skip_blank(p), *arguments_end = arguments;
    if (*arguments == '(') {
        arguments_end = strchr(arguments, ')');
        if (arguments_end == NULL) return error_set(err, "unbalanced type declaration '%s'", declaration);
        arguments_end++;
    }
    static const struct { const char *portable, *native; } types[] = {
        {"BIGINT", "Int64"}, {"INTEGER", "Int32"}, {"INT", "Int32"}, {"TEXT", "String"}, {"VARCHAR", "String"},
        {"TIMESTAMP", "String"}, {"DATE", "Date"}, {"BOOLEAN", "UInt8"}, {"DOUBLE", "Float64"},
        {"DECIMAL", "Decimal"}, {"NUMERIC", "Decimal"},
    };
    const char *native = NULL;
    for (size_t i = 0; i < sizeof types / sizeof *types && native == NULL; i++)
        if (strlen(types[i].portable) == type_length && strncasecmp(type_start, types[i].portable, type_length) == 0)
            native = types[i].native;
    if (native == NULL) return error_set(err, "ClickHouse: no type for '%.*s'", (int)type_length, type_start);
    bool keeps_arguments = strcmp(native, "Decimal") == 0;
    bool not_null = strcasestr(arguments_end, "NOT NULL") != NULL;
    if (!not_null) strbuf_append_string(out, "Nullable(");
    strbuf_append_string(out, native);
    if (keeps_arguments) strbuf_append(out, arguments, (size_t)(arguments_end - arguments));
    if (!not_null) strbuf_append_char(out, ')');
    return 0;
}

/* A column's declared default, " DEFAULT CAST('text' AS TYPE)" as the
 * engine writes it (source_task.c), in ClickHouse's terms: the literal
 * re-quoted, cast to the column's native type (sql from type_start on),
 * a boolean's text as 1 or 0 (its UInt8). Old rows of the table read it,
 * as they hold the default on the other warehouses. */
static int append_default(struct strbuf *sql, size_t type_start, const char *declaration, struct error *err) {
    const char *p = match_words(declaration, "CAST");
    if (p) p = skip_blank(p);
    if (p == NULL || *p != '(' || *(p = skip_blank(p + 1)) != '\'')
        return error_set(err, "ClickHouse: cannot translate the default '%.60s'", declaration);
    struct strbuf text;
    strbuf_init(&text);
    for (p++; *p && !(*p == '\'' && p[1] != '\''); p++) {
        if (*p == '\'') p++;   /* '' is one quote */
        strbuf_append_char(&text, *p);
    }
    char *type = memory_strndup(sql->data + type_start, sql->length - type_start);
    int64_t truth;
    int status = 0;
    strbuf_append_string(sql, " DEFAULT ");
    if (*p != '\'') {
        status = error_set(err, "ClickHouse: unterminated default '%.60s'", declaration);
    } else if (strstr(type, "UInt8") != NULL) {
        if (value_parse_boolean(strbuf_text(&text), text.length, &truth) != 0)
            status = error_set(err, "ClickHouse: the default '%s' is not a boolean", strbuf_text(&text));
        else
            strbuf_printf(sql, "CAST(%d AS %s)", (int)truth, type);
    } else {
        strbuf_append_string(sql, "CAST(");
        clickhouse_quote(sql, strbuf_text(&text));
        strbuf_printf(sql, " AS %s)", type);
    }
    free(type);
    strbuf_free(&text);
    return status;
}

/* "(name TYPE [NOT NULL], ..., PRIMARY KEY (...))" in ClickHouse types;
 * the key clause is dropped (MergeTree keys do not enforce uniqueness). */
static int translate_columns(const char *p, struct strbuf *out, struct error *err) {
    p = skip_blank(p);
    if (*p != '(') return error_set(err, "ClickHouse: expected a column list");
    const char *end = p + strlen(p);
    while (end > p && *(end - 1) != ')') end--;
    if (end <= p + 1) return error_set(err, "ClickHouse: unbalanced column list");
    char *list = memory_strndup(p + 1, (size_t)(end - p - 2));
    strbuf_append_char(out, '(');
    int depth = 0, status = 0;
    bool first = true;
    char *item = list;
    for (char *c = list;; c++) {
        if (*c == '(') depth++;
        if (*c == ')') depth--;
        if (*c != '\0' && !(*c == ',' && depth == 0)) continue;
        bool last = *c == '\0';
        *c = '\0';
        const char *column = skip_blank(item);
        if (match_words(column, "PRIMARY KEY") == NULL && *column) {
            const char *name_end = column;
            while (isalnum((unsigned char)*name_end) || *name_end == '_') name_end++;
            strbuf_printf(out, "%s%.*s ", first ? "" : ", ", (int)(name_end - column), column);
            first = false;
            if (append_type(out, name_end, err) != 0) { status = -1; break; }
        }
        if (last) break;
        item = c + 1;
    }
    strbuf_append_char(out, ')');
    free(list);
    return status;
}

#define CLICKHOUSE_TABLE_ENGINE " ENGINE = MergeTree ORDER BY tuple()"

/* Rewrites one portable statement for ClickHouse (see the file comment). */
int clickhouse_translate(const char *statement, struct clickhouse_statement *out, struct error *err) {
    out->kind = CLICKHOUSE_PLAIN;
    out->relation[0] = '\0';
    strbuf_init(&out->sql);
    const char *rest;
    if (match_words(statement, "BEGIN") || match_words(statement, "COMMIT") || match_words(statement, "ROLLBACK") ||
        match_words(statement, "CHECKPOINT")) {
        out->kind = CLICKHOUSE_SKIP;
        return 0;
    }
    if ((rest = match_words(statement, "CREATE SCHEMA IF NOT EXISTS")) != NULL) {
        out->kind = CLICKHOUSE_EVERY_SERVER;
        strbuf_printf(&out->sql, "CREATE DATABASE IF NOT EXISTS %s", skip_blank(rest));
        return 0;
    }
    if ((rest = match_words(statement, "DROP VIEW")) != NULL) {
        strbuf_printf(&out->sql, "DROP TABLE%s", rest);
        return 0;
    }
    const char *create = match_words(statement, "CREATE TABLE IF NOT EXISTS");
    bool if_not_exists = create != NULL;
    if (create == NULL) create = match_words(statement, "CREATE TABLE");
    if (create && strcasestr(create, "ENGINE") == NULL) {
        if ((rest = read_relation(create, out->relation, sizeof out->relation)) == NULL)
            return error_set(err, "ClickHouse: cannot read the table name in '%.60s'", statement);
        strbuf_printf(&out->sql, "CREATE TABLE %s%s ", if_not_exists ? "IF NOT EXISTS " : "", out->relation);
        const char *as = match_words(rest, "AS");
        if (as) {
            strbuf_printf(&out->sql, "%s AS%s", CLICKHOUSE_TABLE_ENGINE, as);
            return 0;
        }
        if (translate_columns(rest, &out->sql, err) != 0) return -1;
        strbuf_append_string(&out->sql, CLICKHOUSE_TABLE_ENGINE);
        return 0;
    }
    if ((rest = match_words(statement, "DELETE FROM")) != NULL) {
        if ((rest = read_relation(rest, out->relation, sizeof out->relation)) == NULL)
            return error_set(err, "ClickHouse: cannot read the table name in '%.60s'", statement);
        const char *where = match_words(rest, "WHERE");
        if (*skip_blank(rest) == '\0') {
            strbuf_printf(&out->sql, "TRUNCATE TABLE %s", out->relation);
        } else if (where) {
            out->kind = CLICKHOUSE_MUTATION;
            strbuf_printf(&out->sql, "ALTER TABLE %s DELETE WHERE %s", out->relation, where);
        } else {
            return error_set(err, "ClickHouse: cannot translate '%.60s'", statement);
        }
        return 0;
    }
    if ((rest = match_words(statement, "ALTER TABLE")) != NULL) {
        char relation[sizeof out->relation];
        const char *after = read_relation(rest, relation, sizeof relation);
        const char *column = after ? match_words(after, "ADD COLUMN IF NOT EXISTS") : NULL;
        bool guarded = column != NULL;
        if (column == NULL && after) column = match_words(after, "ADD COLUMN");
        if (column) {
            column = skip_blank(column);
            const char *name_end = column;
            while (isalnum((unsigned char)*name_end) || *name_end == '_') name_end++;
            strbuf_printf(&out->sql, "ALTER TABLE %s ADD COLUMN %s%.*s ", relation, guarded ? "IF NOT EXISTS " : "",
                          (int)(name_end - column), column);
            size_t type_start = out->sql.length;
            if (append_type(&out->sql, name_end, err) != 0) return -1;
            const char *fallback = strcasestr(name_end, " DEFAULT ");
            return fallback ? append_default(&out->sql, type_start, fallback + 9, err) : 0;
        }
    }
    if ((rest = match_words(statement, "INSERT INTO")) != NULL && read_relation(rest, out->relation, sizeof out->relation))
        out->kind = CLICKHOUSE_INSERT;
    strbuf_append_string(&out->sql, statement);
    return 0;
}

/* A ClickHouse string literal: quotes and backslashes escaped. */
void clickhouse_quote(struct strbuf *out, const char *text) {
    strbuf_append_char(out, '\'');
    for (const char *p = text; *p; p++) {
        if (*p == '\'' || *p == '\\') strbuf_append_char(out, '\\');
        strbuf_append_char(out, *p);
    }
    strbuf_append_char(out, '\'');
}

/* Replaces $1..$n outside quotes by the values as quoted literals (NULL
 * stays NULL): ClickHouse 18.16's HTTP interface binds no parameters, so
 * values from outside are escaped here, the one place that does it. */
int clickhouse_bind(const char *sql, const char *const *params, size_t param_count, struct strbuf *out,
                    struct error *err) {
    for (const char *p = sql; *p;) {
        if (*p == '\'') {
            const char *start = p++;
            while (*p && *p != '\'') p += *p == '\\' && p[1] ? 2 : 1;
            if (*p) p++;
            strbuf_append(out, start, (size_t)(p - start));
            continue;
        }
        if (*p == '$' && isdigit((unsigned char)p[1])) {
            char *end;
            unsigned long index = strtoul(p + 1, &end, 10);
            if (index < 1 || index > param_count) return error_set(err, "parameter $%lu has no value", index);
            if (params[index - 1]) clickhouse_quote(out, params[index - 1]);
            else strbuf_append_string(out, "NULL");
            p = end;
            continue;
        }
        strbuf_append_char(out, *p++);
    }
    return 0;
}

/* One TabSeparated field unescaped into a new string; "\N" is NULL. */
static char *unescape_field(const char *text, size_t length) {
    if (length == 2 && text[0] == '\\' && text[1] == 'N') return NULL;
    char *value = memory_alloc(length + 1);
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (c == '\\' && i + 1 < length) {
            char next = text[++i];
            c = next == 't' ? '\t' : next == 'n' ? '\n' : next == 'r' ? '\r' : next == '0' ? '\0'
              : next == 'b' ? '\b' : next == 'f' ? '\f' : next;
        }
        value[used++] = c;
    }
    value[used] = '\0';
    return value;
}

/* Reads a TabSeparatedWithNames answer (a line of names, then a line per
 * row) into a warehouse_result. */
int clickhouse_parse_tsv(const char *text, size_t length, struct warehouse_result **out, struct error *err) {
    struct warehouse_result *result = memory_calloc(1, sizeof *result);
    const char *end = text + length, *line = text;
    size_t capacity = 0;
    bool header = true;
    while (line < end) {
        const char *line_end = memchr(line, '\n', (size_t)(end - line));
        if (line_end == NULL) line_end = end;
        size_t fields = 1;
        for (const char *p = line; p < line_end; p++) fields += *p == '\t';
        if (header) {
            result->column_count = line_end == line ? 0 : fields;
            result->column_names = memory_calloc(result->column_count ? result->column_count : 1, sizeof(char *));
        } else if (fields != result->column_count) {
            warehouse_result_free(result);
            return error_set(err, "ClickHouse answered a row of %zu fields for %zu columns", fields, result->column_count);
        } else if (result->row_count == capacity) {
            capacity = capacity ? capacity * 2 : 16;
            result->cells = memory_realloc(result->cells, capacity * result->column_count * sizeof(char *));
        }
        size_t column = 0;
        for (const char *field = line; column < fields && result->column_count > 0; column++) {
            const char *field_end = memchr(field, '\t', (size_t)(line_end - field));
            if (field_end == NULL) field_end = line_end;
            char *value = unescape_field(field, (size_t)(field_end - field));
            if (header) result->column_names[column] = value ? value : memory_strdup("NULL");
            else result->cells[result->row_count * result->column_count + column] = value;
            field = field_end + 1;
        }
        if (!header) result->row_count++;
        header = false;
        line = line_end + 1;
    }
    if (result->cells == NULL) result->cells = memory_calloc(1, sizeof(char *));
    if (result->column_names == NULL) result->column_names = memory_calloc(1, sizeof(char *));
    *out = result;
    return 0;
}

/* Text in TabSeparated: backslash, tab, newline, carriage return escaped. */
void clickhouse_append_tsv_escaped(struct strbuf *out, const char *text, size_t length) {
    size_t start = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        const char *escape = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                           : c == '\0' ? "\\0" : NULL;
        if (escape == NULL) continue;
        strbuf_append(out, text + start, i - start);
        strbuf_append_string(out, escape);
        start = i + 1;
    }
    strbuf_append(out, text + start, length - start);
}

/* If *p starts (after blanks) with token -- a keyword, case-insensitive
 * and not the start of a longer word, or punctuation -- moves past it. */
static bool take_token(const char **p, const char *token) {
    const char *q = skip_blank(*p);
    size_t length = strlen(token);
    if (strncasecmp(q, token, length) != 0) return false;
    if (isalnum((unsigned char)token[length - 1]) && (isalnum((unsigned char)q[length]) || q[length] == '_')) return false;
    *p = q + length;
    return true;
}

/* A literal DATE 'YYYY-MM-DD' at *p, into day (digits checked, so the
 * day can reach SQL again). */
static bool take_date_literal(const char **p, char day[11]) {
    if (!take_token(p, "DATE")) return false;
    const char *q = skip_blank(*p);
    if (q[0] != '\'' || q[11] != '\'') return false;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? q[1 + i] != '-' : !isdigit((unsigned char)q[1 + i])) return false;
    memcpy(day, q + 1, 10);
    day[10] = '\0';
    *p = q + 12;
    return true;
}

/* Whether statement is the portable emptying of a range of days,
 * "DELETE FROM relation WHERE CAST(column AS DATE) BETWEEN DATE 'first'
 * AND DATE 'last'" (how a replace_dates source clears the run's dates),
 * and which: the driver replaces those days' partitions instead. */
bool clickhouse_parse_date_delete(const char *statement, struct clickhouse_date_delete *range) {
    const char *p = statement, *name;
    if (!take_token(&p, "DELETE") || !take_token(&p, "FROM")) return false;
    if ((p = read_relation(p, range->relation, sizeof range->relation)) == NULL) return false;
    if (!take_token(&p, "WHERE") || !take_token(&p, "CAST") || !take_token(&p, "(")) return false;
    name = p = skip_blank(p);
    while (isalnum((unsigned char)*p) || *p == '_') p++;
    if (p == name || (size_t)(p - name) >= sizeof range->column) return false;
    snprintf(range->column, sizeof range->column, "%.*s", (int)(p - name), name);
    if (!take_token(&p, "AS") || !take_token(&p, "DATE") || !take_token(&p, ")") || !take_token(&p, "BETWEEN") ||
        !take_date_literal(&p, range->first) || !take_token(&p, "AND") || !take_date_literal(&p, range->last))
        return false;
    take_token(&p, ";");
    return *skip_blank(p) == '\0' && strcmp(range->first, range->last) <= 0;
}

/* The day of column as a Date, for a MATERIALIZED column to partition by,
 * from its ClickHouse type: a Date itself, the day of a DateTime, the
 * first ten characters of a timestamp's text (timestamps are text there),
 * a NULL as 1970-01-01 (18.16 refuses a Nullable partition key, and
 * crashes on a partition key computed from text, hence the column). false
 * for a type that holds no day. */
bool clickhouse_day_expression(const char *type, const char *column, struct strbuf *out) {
    bool nullable = strncmp(type, "Nullable(", 9) == 0;
    size_t length = strlen(type);
    const char *inner = nullable ? type + 9 : type;
    size_t inner_length = nullable ? length - 10 : length;
    if (inner_length == 4 && strncmp(inner, "Date", 4) == 0)
        strbuf_printf(out, nullable ? "ifNull(%s, toDate(0))" : "%s", column);
    else if (inner_length == 8 && strncmp(inner, "DateTime", 8) == 0)
        strbuf_printf(out, nullable ? "toDate(ifNull(%s, toDateTime(0)))" : "toDate(%s)", column);
    else if (inner_length == 6 && strncmp(inner, "String", 6) == 0)
        strbuf_printf(out, nullable ? "toDate(substring(ifNull(%s, '1970-01-01'), 1, 10))" : "toDate(substring(%s, 1, 10))",
                      column);
    else
        return false;
    return true;
}

/* ClickHouse error codes worth trying again: the server was busy or a
 * shard could not be reached, not a fault of the statement. */
bool clickhouse_code_is_transient(int code) {
    static const int transient[] = {
        159,  /* TIMEOUT_EXCEEDED */
        202,  /* TOO_MANY_SIMULTANEOUS_QUERIES */
        209,  /* SOCKET_TIMEOUT */
        210,  /* NETWORK_ERROR */
        252,  /* TOO_MANY_PARTS */
        279,  /* ALL_CONNECTION_TRIES_FAILED */
        285,  /* TOO_FEW_LIVE_REPLICAS */
        286,  /* UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE */
        319,  /* UNKNOWN_STATUS_OF_INSERT */
        425,  /* SYSTEM_ERROR */
    };
    for (size_t i = 0; i < sizeof transient / sizeof *transient; i++)
        if (transient[i] == code) return true;
    return false;
}

/* A quoted literal; a timestamp with fractional seconds loses them
 * ('2024-01-02 03:04:05.123456' -> '2024-01-02 03:04:05'): a DateTime
 * holds whole seconds, and 18.16 refuses the fraction. */
static void append_literal(struct strbuf *out, const char *literal, size_t length) {
    static const char shape[] = "'dddd-dd-dd dd:dd:dd.";
    size_t shape_length = sizeof shape - 1;
    bool timestamp = length > shape_length + 1 && literal[0] == '\'';
    for (size_t i = 1; timestamp && i < shape_length; i++)
        timestamp = shape[i] == 'd' ? isdigit((unsigned char)literal[i]) != 0 : literal[i] == shape[i];
    for (size_t i = shape_length; timestamp && i < length - 1; i++) timestamp = isdigit((unsigned char)literal[i]) != 0;
    if (!timestamp || literal[length - 1] != '\'') { strbuf_append(out, literal, length); return; }
    strbuf_append(out, literal, shape_length - 1);
    strbuf_append_char(out, '\'');
}

/* Turns "FUNC(args) " at the end of out and the condition of the
 * "FILTER (WHERE condition)" that follows into "FUNCIf(args, condition)".
 * filter points after FILTER; returns past its closing parenthesis, or
 * NULL when the text is not of that form (then nothing changes). */
static const char *rewrite_filter(struct strbuf *out, const char *filter) {
    const char *where = match_words(skip_blank(filter) + (*skip_blank(filter) == '(' ? 1 : 0), "WHERE");
    if (*skip_blank(filter) != '(' || where == NULL || out->length == 0) return NULL;
    size_t close = out->length;
    while (close > 0 && isspace((unsigned char)out->data[close - 1])) close--;
    if (close == 0 || out->data[close - 1] != ')') return NULL;
    size_t open = close - 1;   /* at the ')', back to its '(' */
    for (int depth = 0;; open--) {
        if (out->data[open] == ')') depth++;
        else if (out->data[open] == '(' && --depth == 0) break;
        if (open == 0) return NULL;
    }
    if (open == 0 || !(isalnum((unsigned char)out->data[open - 1]) || out->data[open - 1] == '_')) return NULL;
    const char *end = where;
    for (int depth = 1; *end && depth > 0; end++) {
        if (*end == '\'') { end++; while (*end && *end != '\'') end++; if (!*end) break; }
        if (*end == '(') depth++;
        if (*end == ')') depth--;
    }
    if (end[-1] != ')') return NULL;
    char *arguments = memory_strndup(out->data + open + 1, close - 1 - (open + 1));
    out->length = open;
    out->data[open] = '\0';
    strbuf_printf(out, "If(%s, %.*s)", arguments, (int)(end - 1 - where), where);
    free(arguments);
    return end;
}

/* The ')' that closes the '(' at open (quotes skipped), or NULL. */
static const char *closing_parenthesis(const char *open) {
    int depth = 0;
    for (const char *p = open; *p; p++) {
        if (*p == '\'' || *p == '"') {
            char quote = *p++;
            while (*p && *p != quote) p += *p == '\\' && p[1] ? 2 : 1;
            if (*p == '\0') return NULL;
            continue;
        }
        if (*p == '(') depth++;
        if (*p == ')' && --depth == 0) return p;
    }
    return NULL;
}

/* If the text from start to end (a CAST's parentheses' content) ends with
 * "AS DATE", where that "AS" starts; else NULL. */
static const char *cast_to_date(const char *start, const char *end) {
    while (end > start && isspace((unsigned char)end[-1])) end--;
    if (end - start < 8 || strncasecmp(end - 4, "DATE", 4) != 0 || !isspace((unsigned char)end[-5])) return NULL;
    const char *as = end - 5;
    while (as > start && isspace((unsigned char)as[-1])) as--;
    if (as - start < 3 || strncasecmp(as - 2, "AS", 2) != 0 || !isspace((unsigned char)as[-3])) return NULL;
    return as - 2;
}

/* Whether every comparison of column (t.column too) in sql is "column =
 * 'literal'" with one same literal -- a name: letters, digits, '_' -- and
 * sql has no OR: the literal, into value, then filters the catalog
 * subquery itself. 18.16 pushes no outer WHERE into a subquery, and an
 * unfiltered system.columns opens every table of every database, failing
 * with "Table ... doesn't exist" when another task drops one meanwhile
 * (system.columns opens only the tables its own WHERE names). */
static bool catalog_filter(const char *sql, const char *column, char *value, size_t size) {
    size_t column_length = strlen(column);
    bool found = false;
    for (const char *p = sql; *p; p++) {
        bool word_start = p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        if (word_start && strncasecmp(p, "OR", 2) == 0 && !(isalnum((unsigned char)p[2]) || p[2] == '_')) return false;
        if (!word_start || strncasecmp(p, column, column_length) != 0 || isalnum((unsigned char)p[column_length]) ||
            p[column_length] == '_')
            continue;
        const char *q = skip_blank(p + column_length);
        if (*q == ',' || *q == ')' || match_words(q, "AS") || match_words(q, "FROM") || *q == '\0') continue;   /* selected */
        if (*q != '=') return false;
        q = skip_blank(q + 1);
        if (*q != '\'') return false;
        const char *start = ++q;
        while (isalnum((unsigned char)*q) || *q == '_') q++;
        if (*q != '\'' || q == start || (size_t)(q - start) >= size) return false;
        if (found && (strncmp(value, start, (size_t)(q - start)) != 0 || value[q - start] != '\0')) return false;
        snprintf(value, size, "%.*s", (int)(q - start), start);
        found = true;
        p = q;
    }
    return found;
}

/* Standard SQL the engine writes that 18.16 spells differently, outside
 * quotes: DATE 'd' and TIMESTAMP 't' literals become toDate('d') and
 * toDateTime('t'); CAST(x AS DATE) the day of x, whether x is a Date, a
 * DateTime or a timestamp's text (timestamps are text there, see
 * append_type), NULL staying NULL; VARCHAR(n) String; TRUE and FALSE are 1 and 0; AGG(x) FILTER (WHERE c) is
 * AGGIf(x, c); EXTRACT(EPOCH FROM a - b) the difference of two DateTimes;
 * NUMERIC Float64 and TIMESTAMP(0) DateTime; information_schema.tables and .columns become
 * subqueries over system.tables and system.columns under the standard
 * column names. */
void clickhouse_rewrite_standard(const char *sql, struct strbuf *out) {
    static const struct { const char *name, *replacement, *table_column; } catalogs[] = {
        {"information_schema.columns", "(SELECT database AS table_schema, table AS table_name, name AS column_name,"
                                       " type AS data_type FROM system.columns", "table"},
        {"information_schema.tables", "(SELECT database AS table_schema, name AS table_name FROM system.tables", "name"},
    };
    char schema[CLICKHOUSE_NAME_SIZE], table[CLICKHOUSE_NAME_SIZE];
    bool by_schema = catalog_filter(sql, "table_schema", schema, sizeof schema);
    bool by_table = catalog_filter(sql, "table_name", table, sizeof table);
    for (const char *p = sql; *p;) {
        if (*p == '\'' || *p == '"') {
            const char *start = p++;
            while (*p && *p != start[0]) p += *p == '\\' && p[1] ? 2 : 1;
            if (*p) p++;
            append_literal(out, start, (size_t)(p - start));
            continue;
        }
        if (p[0] == '-' && p[1] == '-') {   /* a comment's apostrophe opens no string */
            const char *end = p + strcspn(p, "\n");
            strbuf_append(out, p, (size_t)(end - p));
            p = end;
            continue;
        }
        bool word_start = isalpha((unsigned char)*p) && (p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.'));
        const char *literal = NULL, *function = NULL;
        if (word_start && (literal = match_words(p, "DATE")) != NULL) function = "toDate";
        else if (word_start && (literal = match_words(p, "TIMESTAMP")) != NULL) function = "toDateTime";
        if (function && *skip_blank(literal) == '\'') {
            const char *start = skip_blank(literal), *end = start + 1;
            while (*end && *end != '\'') end++;
            if (*end) end++;
            strbuf_printf(out, "%s(%.*s)", function, (int)(end - start), start);
            p = end;
            continue;
        }
        const char *after_word = NULL;
        if (word_start && (after_word = match_words(p, "CAST")) != NULL && *skip_blank(after_word) == '(') {
            const char *open = skip_blank(after_word), *close = closing_parenthesis(open);
            const char *as = close ? cast_to_date(open + 1, close) : NULL;
            if (as) {   /* the day of a date, a DateTime or timestamp text alike; NULL stays NULL */
                char *inner = memory_strndup(open + 1, (size_t)(as - open - 1));
                strbuf_append_string(out, "toDateOrNull(substring(toString(");
                clickhouse_rewrite_standard(inner, out);
                strbuf_append_string(out, "), 1, 10))");
                free(inner);
                p = close + 1;
                continue;
            }
        }
        if (word_start && (after_word = match_words(p, "VARCHAR")) != NULL && *skip_blank(after_word) == '(') {
            const char *close = strchr(after_word, ')');   /* VARCHAR(n): a String, whatever its length */
            if (close) { strbuf_append_string(out, "String"); p = close + 1; continue; }
        }
        if (word_start && (after_word = match_words(p, "FILTER")) != NULL) {
            const char *end = rewrite_filter(out, after_word);
            if (end) { p = end; continue; }
        }
        if (word_start && (after_word = match_words(p, "EXTRACT")) != NULL && *skip_blank(after_word) == '(' &&
            (after_word = match_words(skip_blank(after_word) + 1, "EPOCH FROM")) != NULL) {
            strbuf_append_string(out, "toFloat64(");   /* the seconds between two DateTimes are their difference */
            p = after_word;
            continue;
        }
        if (word_start && (after_word = match_words(p, "NUMERIC")) != NULL && *skip_blank(after_word) != '(') {
            strbuf_append_string(out, "Float64");
            p = after_word;
            continue;
        }
        if (word_start && (after_word = match_words(p, "TIMESTAMP")) != NULL && strncmp(after_word, "(0)", 3) == 0) {
            strbuf_append_string(out, "DateTime");
            p = after_word + 3;
            continue;
        }
        const char *after_boolean = NULL;
        if (word_start && ((after_boolean = match_words(p, "TRUE")) != NULL || (after_boolean = match_words(p, "FALSE")) != NULL)) {
            strbuf_append_char(out, toupper((unsigned char)*p) == 'T' ? '1' : '0');
            p = after_boolean;
            continue;
        }
        bool replaced = false;
        for (size_t i = 0; word_start && i < sizeof catalogs / sizeof *catalogs && !replaced; i++) {
            size_t length = strlen(catalogs[i].name);
            if (strncasecmp(p, catalogs[i].name, length) == 0 && !(isalnum((unsigned char)p[length]) || p[length] == '_')) {
                strbuf_append_string(out, catalogs[i].replacement);
                if (by_schema) strbuf_printf(out, " WHERE database = '%s'", schema);
                if (by_table) strbuf_printf(out, " %s %s = '%s'", by_schema ? "AND" : "WHERE", catalogs[i].table_column, table);
                strbuf_append_char(out, ')');
                p += length;
                replaced = true;
            }
        }
        if (!replaced) strbuf_append_char(out, *p++);
    }
}
