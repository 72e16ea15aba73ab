/* template.h -- rendering of {{ name }} markers in SQL.
 *
 * Deliberately tiny: a marker is a variable name between double braces,
 * replaced by its value. No expressions, no loops: models stay SQL a data
 * engineer reads without knowing a template language. An unknown variable
 * or an unclosed marker is an error naming the line. */
#ifndef MARTLET_TEMPLATE_H
#define MARTLET_TEMPLATE_H

#include <stddef.h>

#include "../util/error.h"
#include "../util/strbuf.h"

struct template_variable {
    const char *name;
    const char *value;
};

int template_render(const char *text, const struct template_variable *variables, size_t count,
                    struct strbuf *out, struct error *err);

#endif
