/* fuzz_pipeline.c -- libFuzzer harness: pipeline.json and model headers,
 * through pipeline_load as `martlet run` reads them.
 *
 * The input is a pipeline folder flattened: pipeline.json, then each model
 * file after a line "#MODEL#" (see the corpus). It is written to a scratch
 * folder and loaded. Invariants: a load fails with a message (valid UTF-8
 * when the files were: no character cut in two), or yields a pipeline whose names are what the engine splices
 * into SQL -- plain identifiers, every model's schema declared -- and
 * which frees without a leak. */
#include "../../src/engine/pipeline.h"
#include "../../src/util/identifier.h"
#include "fuzz_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MODEL_SEPARATOR "\n#MODEL#\n"
#define MAX_MODELS 8

/* Writes the flattened folder under directory. */
static void write_folder(const char *directory, const uint8_t *data, size_t size) {
    char path[512];
    snprintf(path, sizeof path, "%s/models", directory);
    if (mkdir(directory, 0700) != 0 || mkdir(path, 0700) != 0) { perror(path); abort(); }
    size_t separator = strlen(MODEL_SEPARATOR);
    const uint8_t *part = data;
    const uint8_t *end = data + size;
    for (int index = 0; part <= end; index++) {
        const uint8_t *next = memmem(part, (size_t)(end - part), MODEL_SEPARATOR, separator);
        size_t length = next ? (size_t)(next - part) : (size_t)(end - part);
        if (index == 0) snprintf(path, sizeof path, "%s/pipeline.json", directory);
        else snprintf(path, sizeof path, "%s/models/m%d.sql", directory, index);
        fuzz_write_file(path, part, length);
        if (next == NULL || index == MAX_MODELS) break;
        part = next + separator;
    }
}

/* The invariants of a pipeline that loaded. */
static void check_pipeline(const struct pipeline *pipeline) {
    fuzz_require(identifier_is_valid(pipeline->name), "the pipeline's name is an identifier", pipeline->name);
    for (size_t i = 0; i < pipeline->schema_count; i++) {
        fuzz_require(identifier_is_valid(pipeline->schemas[i].key), "a schema key is an identifier", pipeline->schemas[i].key);
        fuzz_require(identifier_is_valid(pipeline->schemas[i].name), "a schema is an identifier", pipeline->schemas[i].name);
    }
    for (size_t i = 0; i < pipeline->source_count; i++) {
        const struct source *source = &pipeline->sources[i];
        fuzz_require(pipeline_schema(pipeline, source->schema_key) != NULL, "a source's schema is declared", source->name);
        fuzz_require(identifier_is_valid(source->table), "a source's table is an identifier", source->name);
        fuzz_require(source->column_count > 0, "a source has columns", source->name);
        for (size_t c = 0; c < source->column_count; c++)
            fuzz_require(identifier_is_valid(source->columns[c].name), "a column is an identifier", source->name);
        fuzz_require(source->delimiter != '\0' && source->delimiter != '\n' && source->delimiter != '\r' &&
                     source->delimiter != source->quote, "a usable delimiter", source->name);
        if (source->date_column)
            fuzz_require(identifier_is_valid(source->date_column), "a date column is an identifier", source->name);
        if (source->file) fuzz_require(strstr(source->file, "..") == NULL, "a source file stays in its folder", source->file);
    }
    for (size_t i = 0; i < pipeline->model_count; i++) {
        const struct model *model = &pipeline->models[i];
        fuzz_require(model->name && model->schema_key && model->table, "a model has a name", model->path);
        fuzz_require(pipeline_schema(pipeline, model->schema_key) != NULL, "a model's schema is declared", model->name);
        fuzz_require(identifier_is_valid(model->table), "a model's table is an identifier", model->name);
        for (size_t k = 0; k < model->unique_key_count; k++)
            fuzz_require(identifier_is_valid(model->unique_key[k]), "a unique key is an identifier", model->name);
        fuzz_require(model->sql != NULL, "a model has its SQL", model->name);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char directory[512];
    snprintf(directory, sizeof directory, "%s/pipeline", fuzz_scratch_directory());
    fuzz_remove_tree(directory);
    write_folder(directory, data, size);
    struct pipeline *pipeline = NULL;
    struct error err = {0};
    if (pipeline_load(directory, &pipeline, &err) == 0) {
        check_pipeline(pipeline);
        pipeline_free(pipeline);
    } else {
        fuzz_require(err.message[0] != '\0', "a refused pipeline says why", NULL);
        if (fuzz_is_valid_utf8((const char *)data, size))
            fuzz_require_utf8("a pipeline error", err.message, strlen(err.message));
    }
    return 0;
}
