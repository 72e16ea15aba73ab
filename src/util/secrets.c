/* secrets.c -- see secrets.h. */
#include "secrets.h"
#include "sanitize.h"

#include <stdlib.h>
#include <string.h>

/* Settings whose values must never leave in an event or a page. */
static const char *const secret_variables[] = {"MARTLET_API_KEY", "MARTLET_SERVE_TOKEN", "AWS_SECRET_ACCESS_KEY",
                                               "AWS_SESSION_TOKEN", "PGPASSWORD", "CLICKHOUSE_PASSWORD"};

/* Masks, in place, every value of those settings found in text. Values
 * shorter than 4 characters are left alone: masking "a" would mangle the
 * text and hide nothing worth hiding. */
void secrets_hide_known(char *text) {
    for (size_t i = 0; i < sizeof secret_variables / sizeof *secret_variables; i++) {
        const char *secret = getenv(secret_variables[i]);
        if (secret && strlen(secret) >= 4) sanitize_hide_secret(text, secret);
    }
}
