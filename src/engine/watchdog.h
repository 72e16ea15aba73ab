/* watchdog.h -- a deadline for one task: past it, the statement running on
 * the warehouse is cancelled (so the task fails and rolls back) instead of
 * holding the run forever. */
#ifndef MARTLET_WATCHDOG_H
#define MARTLET_WATCHDOG_H

#include <stdbool.h>

#include "../warehouse/warehouse.h"

struct watchdog;

struct watchdog *watchdog_start(struct warehouse *warehouse, double seconds);
bool watchdog_stop(struct watchdog *watchdog);

#endif
