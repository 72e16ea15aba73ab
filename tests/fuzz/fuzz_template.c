/* fuzz_template.c -- libFuzzer harness: the {{ name }} renderer.
 *
 * The input is a model's SQL. Invariants: rendering either succeeds or
 * fails with a message naming a line, valid UTF-8 when the text was (the
 * renderer must not cut a character in two); a success
 * leaves no "{{" behind (no variable value holds a brace) and keeps every
 * byte of the text outside markers in order. */
#include "../../src/engine/template.h"
#include "fuzz_support.h"

#include <stdlib.h>
#include <string.h>

static const struct template_variable variables[] = {
    {"staging", "staging"}, {"dds", "dev_dds"}, {"mart", "mart"}, {"date", "'2026-11-30'"},
    {"first_date", "'2026-11-01'"}, {"run_id", "42"}, {"пусто", ""},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_terminated_copy(data, size);
    struct strbuf out;
    strbuf_init(&out);
    struct error err = {0};
    int status = template_render(text, variables, sizeof variables / sizeof *variables, &out, &err);
    if (status == 0) {
        fuzz_require(strstr(strbuf_text(&out), "{{") == NULL, "a rendered text has no marker left", NULL);
        if (strstr(text, "{{") == NULL)
            fuzz_require(strcmp(strbuf_text(&out), text) == 0, "a text without markers renders unchanged", NULL);
    } else {
        fuzz_require(strncmp(err.message, "line ", 5) == 0, "a template error names its line", err.message);
        if (fuzz_is_valid_utf8((const char *)data, size))
            fuzz_require_utf8("a template error", err.message, strlen(err.message));
    }
    strbuf_free(&out);
    free(text);
    return 0;
}
