/* fuzz_cron.c -- libFuzzer harness: the cron parser and its searches.
 *
 * The input is a schedule's "cron" string. Invariants: a parse either
 * fails with a message (valid UTF-8 when the input was) or yields bit sets inside each field's
 * range; the next and previous firings it finds are whole minutes on the
 * right side of the reference time, and the schedule matches them. */
#include "../../src/engine/cron.h"
#include "fuzz_support.h"

#include <stdlib.h>
#include <string.h>

/* Reference times: an ordinary noon, and a leap day's last minute. */
static const time_t moments[] = {1764590400, 1709251170};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_terminated_copy(data, size);
    struct cron cron;
    struct error err = {0};
    if (cron_parse(text, &cron, &err) != 0) {
        fuzz_require(err.message[0] != '\0', "a refused cron says why", NULL);
        if (fuzz_is_valid_utf8((const char *)data, size))
            fuzz_require_utf8("a cron error", err.message, strlen(err.message));
        free(text);
        return 0;
    }
    fuzz_require(cron.minutes != 0 && cron.minutes >> 60 == 0, "minutes within 0-59", text);
    fuzz_require(cron.hours != 0 && cron.hours >> 24 == 0, "hours within 0-23", text);
    fuzz_require(cron.days_of_month != 0 && (cron.days_of_month & 1) == 0, "days of month within 1-31", text);
    fuzz_require(cron.months != 0 && (cron.months & 1) == 0 && cron.months >> 13 == 0, "months within 1-12", text);
    fuzz_require(cron.days_of_week != 0 && cron.days_of_week >> 7 == 0, "days of week within 0-6", text);
    for (size_t i = 0; i < sizeof moments / sizeof *moments; i++) {
        time_t when;
        if (cron_next(&cron, moments[i], &when)) {
            fuzz_require(when > moments[i] && when % 60 == 0, "the next firing is a later whole minute", text);
            fuzz_require(cron_matches(&cron, when), "the schedule matches its next firing", text);
            time_t back;
            fuzz_require(cron_previous(&cron, when, &back) && back == when,
                         "the previous firing at a firing is that firing", text);
        }
        if (cron_previous(&cron, moments[i], &when)) {
            fuzz_require(when <= moments[i] && when % 60 == 0, "the previous firing is an earlier whole minute", text);
            fuzz_require(cron_matches(&cron, when), "the schedule matches its previous firing", text);
        }
    }
    free(text);
    return 0;
}
