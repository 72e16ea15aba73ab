/* secrets.h -- the secrets martlet knows by name (the API key, the serve
 * token, S3 and PostgreSQL credentials from the environment or the config
 * file), and masking their values in text that leaves the process: an
 * alert's event, a docs page. */
#ifndef MARTLET_SECRETS_H
#define MARTLET_SECRETS_H

void secrets_hide_known(char *text);

#endif
