/* watchdog.c -- see watchdog.h. One thread per watched task: it waits on a
 * condition variable until the task ends or the deadline passes. */
#include "watchdog.h"
#include "../util/memory.h"

#include <pthread.h>
#include <time.h>

struct watchdog {
    struct warehouse *warehouse;
    struct timespec deadline;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t ended;
    bool done;
    bool fired;
};

static void *watch(void *argument) {
    struct watchdog *watchdog = argument;
    pthread_mutex_lock(&watchdog->lock);
    int waited = 0;
    while (!watchdog->done && waited == 0)
        waited = pthread_cond_timedwait(&watchdog->ended, &watchdog->lock, &watchdog->deadline);
    if (!watchdog->done) {
        watchdog->fired = true;
        warehouse_interrupt(watchdog->warehouse);
    }
    pthread_mutex_unlock(&watchdog->lock);
    return NULL;
}

/* Starts watching; seconds <= 0 means no deadline (returns NULL). */
struct watchdog *watchdog_start(struct warehouse *warehouse, double seconds) {
    if (seconds <= 0) return NULL;
    struct watchdog *watchdog = memory_calloc(1, sizeof *watchdog);
    watchdog->warehouse = warehouse;
    pthread_mutex_init(&watchdog->lock, NULL);
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&watchdog->ended, &attributes);
    pthread_condattr_destroy(&attributes);
    clock_gettime(CLOCK_MONOTONIC, &watchdog->deadline);
    long whole = (long)seconds;
    watchdog->deadline.tv_sec += whole;
    watchdog->deadline.tv_nsec += (long)((seconds - (double)whole) * 1e9);
    if (watchdog->deadline.tv_nsec >= 1000000000L) { watchdog->deadline.tv_sec++; watchdog->deadline.tv_nsec -= 1000000000L; }
    if (pthread_create(&watchdog->thread, NULL, watch, watchdog) != 0) {
        free(watchdog);
        return NULL;
    }
    return watchdog;
}

/* Ends the watch; true if the deadline had passed and the task was cancelled. */
bool watchdog_stop(struct watchdog *watchdog) {
    if (watchdog == NULL) return false;
    pthread_mutex_lock(&watchdog->lock);
    watchdog->done = true;
    pthread_cond_signal(&watchdog->ended);
    pthread_mutex_unlock(&watchdog->lock);
    pthread_join(watchdog->thread, NULL);
    bool fired = watchdog->fired;
    pthread_mutex_destroy(&watchdog->lock);
    pthread_cond_destroy(&watchdog->ended);
    free(watchdog);
    return fired;
}
