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
 * the day after it. It is told once (martlet.sla_alerts remembers it): by
 * a run that ends after that moment without such an earlier success --
 * late, failed, or a backfill of old dates -- or by the scheduler's look
 * (alerts_check_sla) when no run has succeeded at all: never started,
 * still running, failed. The latest 366 dates are looked at.
 *
 * A run that fails before any task (alerts_before_run) fires on_failure
 * too. A delivery that fails -- a command exiting non-zero or running
 * over 30 s, a URL refusing or answering other than 2xx -- is logged as
 * one line naming the alert and why (JSON with --log-format json), and
 * never changes how the run ended. */
#ifndef MARTLET_ALERTS_H
#define MARTLET_ALERTS_H

#include <time.h>

#include "../warehouse/warehouse.h"
#include "runner.h"

void alerts_after_run(struct warehouse *warehouse, const struct run_request *request, const struct run_outcome *outcome,
                      const char *failure);
void alerts_before_run(const struct run_request *request, int64_t run_id, const char *failure);
int alerts_check_sla(struct warehouse *warehouse, const struct run_request *request, time_t now, struct error *err);
int alerts_deliver(const char *target, const char *event_json, struct error *err);

#endif
