/* serve_docs.h -- the lineage and docs pages of `martlet serve` and their
 * JSON (serve_docs.c), rendered by engine/docs.c like `martlet docs`. */
#ifndef MARTLET_SERVE_DOCS_H
#define MARTLET_SERVE_DOCS_H

#include <stdbool.h>

#include "serve_http.h"

bool serve_docs_handle(const struct serve_request *request, struct serve_response *response);

#endif
