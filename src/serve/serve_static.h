/* serve_static.h -- the script and style sheet the pages load. */
#ifndef MARTLET_SERVE_STATIC_H
#define MARTLET_SERVE_STATIC_H

#include <stdbool.h>

#include "serve_http.h"

bool serve_static_file(const char *name, struct serve_response *response);

#endif
