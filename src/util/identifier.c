/* identifier.c -- see identifier.h. */
#include "identifier.h"

#include <string.h>

/* True for [a-z_][a-z0-9_]{0,62}: safe to splice into SQL unquoted on every
 * supported warehouse, and never a keyword-shaped surprise with quotes. */
bool identifier_is_valid(const char *name) {
    size_t length = strlen(name);
    if (length == 0 || length > 63) return false;
    if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_')) return false;
    for (size_t i = 1; i < length; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

/* True for an opaque id from a remote service that is safe to put in a URL
 * query and a message: [A-Za-z0-9_.-]{1,128}. */
bool identifier_is_valid_token(const char *text) {
    size_t length = strlen(text);
    if (length == 0 || length > 128) return false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}
