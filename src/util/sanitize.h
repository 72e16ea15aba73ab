/* sanitize.h -- making text that came from outside safe to show in a message.
 *
 * Messages go to a terminal, to log files and into JSON lines, and each is
 * one line. Text from elsewhere -- a server's body or status, an S3 error
 * XML, an object key -- may hold control characters (a newline breaks the
 * one-line promise, ESC[31m repaints the terminal) or bytes that are not
 * UTF-8. A URL may carry a secret in its user-info (http://user:SECRET@host)
 * or in a signed query (X-Amz-Signature=...). What these functions produce
 * is valid UTF-8 without control characters and without those secrets:
 *
 *   newline, CR, tab          \n \r \t
 *   other C0 bytes, DEL       \xHH (ESC is \x1b)
 *   bytes that are not UTF-8  \xHH
 *   C1 controls, U+2028/2029, bidi overrides and isolates   \uHHHH
 *
 * Text cut to a size is cut between characters and ends with "...".
 * A server may also echo a secret it was sent (an API key in an error
 * body): sanitize_hide_secret removes a known secret from a finished message. */
#ifndef MARTLET_SANITIZE_H
#define MARTLET_SANITIZE_H

#include <stddef.h>

#include "strbuf.h"

void sanitize_append_text(struct strbuf *out, const char *text, size_t length, size_t max_bytes);
const char *sanitize_text(char *buffer, size_t size, const char *text);
void sanitize_append_url(struct strbuf *out, const char *url);
const char *sanitize_url(char *buffer, size_t size, const char *url);
void sanitize_hide_secret(char *text, const char *secret);

#endif
