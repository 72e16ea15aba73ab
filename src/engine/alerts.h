/* alerts.h -- telling someone how a run ended: pipeline.json's
 * "on_failure", "on_success" and "on_sla_miss" (with "sla": "HH:MM").
 *
 * A target is a URL (http:// or https://), which receives the event as a
 * JSON POST, or else a shell command, which receives it on its stdin (its
 * output goes to stderr, so a run's JSON lines stay JSON). The event:
 *
 *   {"event": "run_failed" | "run_succeeded" | "sla_missed", "pipeline",
 *    "run_id", "start_date", "end_date", "status", "succeeded", "failed",
 *    "upstream_failed", "skipped", "error", "late_dates", "sla", "host", "at"}
 *
 * It carries no credential: no warehouse URL, no setting, and the values
 * of the secrets martlet knows are masked in its error text.
 *
 * A date misses its SLA when no run had succeeded for it by HH:MM UTC on
 * the day after it; a run that ends after that moment without such an
 * earlier success -- late, failed, or a backfill of old dates -- fires
 * on_sla_miss once, listing those dates (the latest 366 of its range are
 * looked at). A delivery that fails is a warning of the run, never its
 * failure. */
#ifndef MARTLET_ALERTS_H
#define MARTLET_ALERTS_H

#include <time.h>

#include "../warehouse/warehouse.h"
#include "runner.h"

int alerts_after_run(struct warehouse *warehouse, const struct run_request *request, const struct run_outcome *outcome,
                     const char *failure, time_t now, struct error *err);
int alerts_deliver(const char *target, const char *event_json, struct error *err);

#endif
