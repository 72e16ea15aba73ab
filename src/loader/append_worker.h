/* append_worker.h -- appends batches on a second thread while the loader
 * parses the next ones.
 *
 * Parsing and validating (our code) and appending (the warehouse's) take
 * similar time, so overlapping them nearly halves a load on two cores. The
 * worker owns a small ring of batches: the loader acquires a free one,
 * fills it and submits it; the worker appends it and hands it back. Only
 * the worker touches the appender while batches are in flight; the loader
 * calls append_worker_drain before using the connection itself. */
#ifndef MARTLET_APPEND_WORKER_H
#define MARTLET_APPEND_WORKER_H

#include "../warehouse/warehouse.h"

struct append_worker;

struct append_worker *append_worker_start(struct warehouse_appender *appender, const struct column *columns,
                                          size_t column_count, size_t batch_rows);
struct batch *append_worker_acquire(struct append_worker *worker);
void append_worker_submit(struct append_worker *worker, struct batch *batch);
int append_worker_drain(struct append_worker *worker, struct error *err);
int append_worker_stop(struct append_worker *worker, struct error *err);

#endif
