/* docs.h -- a pipeline's documentation, like dbt docs: every source and
 * model with its description, columns and types, data tests, tags,
 * materialization, upstream and downstream, and a lineage graph drawn as
 * SVG. One renderer for both places it is read: the pages of `martlet
 * serve` (/pipelines/NAME/docs) and the static site `martlet docs NAME
 * --out DIR` writes for teams that only publish files.
 *
 * The catalog (docs_catalog) is the content as JSON -- also what the API
 * answers. Columns come from the warehouse where the table is built
 * (information_schema), else from what the pipeline declares (a source's
 * columns in pipeline.json); a model never built has none to show yet.
 * The pages are rendered from the catalog alone; links follow `struct
 * docs_links`, so the same page works under the server's paths and as
 * files side by side. No credential reaches the catalog: it holds names,
 * descriptions, types and tests, and the secrets martlet knows are masked
 * in every page and in the JSON. */
#ifndef MARTLET_DOCS_H
#define MARTLET_DOCS_H

#include <cJSON.h>

#include "../util/strbuf.h"
#include "../warehouse/warehouse.h"
#include "pipeline.h"

/* Where a page's links point: a task's page is prefix + name + suffix. */
struct docs_links {
    const char *index;              /* the pipeline's docs index */
    const char *task_prefix;
    const char *task_suffix;
    const char *const *stylesheets; /* hrefs, in order */
    size_t stylesheet_count;
    const char *navigation;         /* trusted HTML put first in <body> (the server's header), or NULL */
};

cJSON *docs_catalog(const struct pipeline *pipeline, struct warehouse *warehouse, struct error *err);
void docs_index_page(const cJSON *catalog, const struct docs_links *links, struct strbuf *out);
int docs_task_page(const cJSON *catalog, const char *task, const struct docs_links *links, struct strbuf *out);
void docs_lineage_svg(const cJSON *catalog, const char *focus, const struct docs_links *links, bool standalone,
                      struct strbuf *out);
const char *docs_stylesheet(void);
int docs_write_site(const cJSON *catalog, const char *directory, struct error *err);

#endif
