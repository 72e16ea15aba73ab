/* append_worker.c -- see append_worker.h. */
#include "append_worker.h"
#include "../util/memory.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#define WORKER_BATCHES 32

struct append_worker {
    struct warehouse_appender *appender;
    pthread_t thread;
    bool threaded;                           /* false: appends run inline */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct batch *batches[WORKER_BATCHES];
    struct batch *free_list[WORKER_BATCHES];
    size_t free_count;
    struct batch *queue[WORKER_BATCHES];     /* submitted, in order */
    size_t queue_head, queue_count;
    bool busy;                               /* the worker holds a batch */
    bool stopping;
    bool failed;
    struct error error;                      /* the first append error */
};

static void *worker_main(void *argument) {
    struct append_worker *worker = argument;
    pthread_mutex_lock(&worker->lock);
    for (;;) {
        while (worker->queue_count == 0 && !worker->stopping) pthread_cond_wait(&worker->changed, &worker->lock);
        if (worker->queue_count == 0) break;
        struct batch *batch = worker->queue[worker->queue_head];
        worker->queue_head = (worker->queue_head + 1) % WORKER_BATCHES;
        worker->queue_count--;
        worker->busy = true;
        bool skip = worker->failed;
        pthread_mutex_unlock(&worker->lock);
        struct error err;
        int status = skip ? 0 : warehouse_append_batch(worker->appender, batch, &err);
        batch_reset(batch);
        pthread_mutex_lock(&worker->lock);
        if (status != 0 && !worker->failed) {
            worker->failed = true;
            worker->error = err;
        }
        worker->busy = false;
        worker->free_list[worker->free_count++] = batch;
        pthread_cond_broadcast(&worker->changed);
    }
    pthread_mutex_unlock(&worker->lock);
    return NULL;
}

/* Starts the thread with WORKER_BATCHES empty batches of the columns. */
struct append_worker *append_worker_start(struct warehouse_appender *appender, const struct column *columns,
                                          size_t column_count, size_t batch_rows) {
    struct append_worker *worker = memory_calloc(1, sizeof *worker);
    worker->appender = appender;
    pthread_mutex_init(&worker->lock, NULL);
    pthread_cond_init(&worker->changed, NULL);
    for (size_t i = 0; i < WORKER_BATCHES; i++) {
        worker->batches[i] = batch_create(columns, column_count, batch_rows);
        worker->free_list[worker->free_count++] = worker->batches[i];
    }
    /* Without a thread the ring still works: submit appends inline. */
    worker->threaded = pthread_create(&worker->thread, NULL, worker_main, worker) == 0;
    return worker;
}

/* An empty batch to fill; waits while all of them are in flight. */
struct batch *append_worker_acquire(struct append_worker *worker) {
    pthread_mutex_lock(&worker->lock);
    while (worker->free_count == 0) pthread_cond_wait(&worker->changed, &worker->lock);
    struct batch *batch = worker->free_list[--worker->free_count];
    pthread_mutex_unlock(&worker->lock);
    return batch;
}

/* Hands a filled batch to the worker (an empty one goes straight back). */
void append_worker_submit(struct append_worker *worker, struct batch *batch) {
    pthread_mutex_lock(&worker->lock);
    if (batch->row_count == 0) {
        worker->free_list[worker->free_count++] = batch;
    } else if (!worker->threaded) {
        struct error err;
        if (!worker->failed && warehouse_append_batch(worker->appender, batch, &err) != 0) {
            worker->failed = true;
            worker->error = err;
        }
        batch_reset(batch);
        worker->free_list[worker->free_count++] = batch;
    } else {
        worker->queue[(worker->queue_head + worker->queue_count) % WORKER_BATCHES] = batch;
        worker->queue_count++;
    }
    pthread_cond_broadcast(&worker->changed);
    pthread_mutex_unlock(&worker->lock);
}

/* Waits until every submitted batch is appended; reports the first error. */
int append_worker_drain(struct append_worker *worker, struct error *err) {
    pthread_mutex_lock(&worker->lock);
    while (worker->queue_count > 0 || worker->busy) pthread_cond_wait(&worker->changed, &worker->lock);
    int status = worker->failed ? -1 : 0;
    if (worker->failed && err) *err = worker->error;
    pthread_mutex_unlock(&worker->lock);
    return status;
}

/* Drains, stops the thread and frees the worker (not the appender). */
int append_worker_stop(struct append_worker *worker, struct error *err) {
    int status = append_worker_drain(worker, err);
    pthread_mutex_lock(&worker->lock);
    worker->stopping = true;
    pthread_cond_broadcast(&worker->changed);
    pthread_mutex_unlock(&worker->lock);
    if (worker->threaded) pthread_join(worker->thread, NULL);
    for (size_t i = 0; i < WORKER_BATCHES; i++) batch_free(worker->batches[i]);
    pthread_mutex_destroy(&worker->lock);
    pthread_cond_destroy(&worker->changed);
    free(worker);
    return status;
}
