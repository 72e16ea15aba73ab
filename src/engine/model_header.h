/* model_header.h -- the header of a model file, read by the table of keys
 * in model_header.c (see header.h for the grammar, pipeline.h for the
 * model it fills). */
#ifndef MARTLET_MODEL_HEADER_H
#define MARTLET_MODEL_HEADER_H

#include "../util/error.h"
#include "header.h"
#include "pipeline.h"

int model_header_parse(struct model *model, struct error *err);

size_t model_header_keys(const struct header_key **keys);

#endif
