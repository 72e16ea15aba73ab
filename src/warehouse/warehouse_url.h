/* warehouse_url.h -- a warehouse URL fit to print: what a user may copy
 * into a command line without the line carrying a password. */
#ifndef MARTLET_WAREHOUSE_URL_H
#define MARTLET_WAREHOUSE_URL_H

#include <stdbool.h>

#include "../util/error.h"

int warehouse_url_without_password(const char *url, char **shown, bool *had_password, struct error *err);

#endif
