/* s3.c -- see s3.h. */
#include "s3.h"
#include "../util/clock.h"
#include "../util/files.h"
#include "../util/memory.h"
#include "../util/sanitize.h"
#include "../util/strbuf.h"
#include "http.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct s3_object {
    char *key;
    int64_t size;
    char etag[80];
};

struct s3_listing {
    struct s3_object *objects;
    size_t count;
};

static const char *environment(const char *name) {
    const char *value = getenv(name);
    return value && *value ? value : NULL;
}

/* Reads the endpoint, region, addressing and credentials. */
int s3_config_from_environment(struct s3_config *config, struct error *err) {
    memset(config, 0, sizeof *config);
    const char *region = environment("AWS_REGION") ? environment("AWS_REGION") : environment("AWS_DEFAULT_REGION");
    snprintf(config->region, sizeof config->region, "%s", region ? region : "us-east-1");
    if (strspn(config->region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(config->region))
        return error_set(err, "AWS_REGION '%s' is not a region name", config->region);
    const char *endpoint = environment("MARTLET_S3_ENDPOINT");
    if (endpoint) snprintf(config->endpoint, sizeof config->endpoint, "%s", endpoint);
    else snprintf(config->endpoint, sizeof config->endpoint, "https://s3.%s.amazonaws.com", config->region);
    size_t length = strlen(config->endpoint);
    while (length > 0 && config->endpoint[length - 1] == '/') config->endpoint[--length] = '\0';
    if (strncmp(config->endpoint, "http://", 7) != 0 && strncmp(config->endpoint, "https://", 8) != 0)
        return error_set(err, "MARTLET_S3_ENDPOINT must start with http:// or https://");
    const char *addressing = environment("MARTLET_S3_ADDRESSING");
    if (addressing && strcmp(addressing, "virtual") != 0 && strcmp(addressing, "path") != 0)
        return error_set(err, "MARTLET_S3_ADDRESSING must be path or virtual");
    config->virtual_host = addressing && strcmp(addressing, "virtual") == 0;
    config->access_key = environment("AWS_ACCESS_KEY_ID");
    config->secret_key = environment("AWS_SECRET_ACCESS_KEY");
    config->session_token = environment("AWS_SESSION_TOKEN");
    if ((config->access_key == NULL) != (config->secret_key == NULL))
        return error_set(err, "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (anonymous)");
    config->max_attempts = getenv("MARTLET_S3_RETRIES") ? atoi(getenv("MARTLET_S3_RETRIES")) : 5;
    if (config->max_attempts < 1) config->max_attempts = 1;
    config->backoff_ms = getenv("MARTLET_S3_BACKOFF_MS") ? atol(getenv("MARTLET_S3_BACKOFF_MS")) : 500;
    config->max_keys = getenv("MARTLET_S3_MAX_KEYS") ? atoi(getenv("MARTLET_S3_MAX_KEYS")) : 1000;
    if (config->max_keys < 1 || config->max_keys > 1000) config->max_keys = 1000;
    config->max_pages = getenv("MARTLET_S3_MAX_PAGES") ? atoi(getenv("MARTLET_S3_MAX_PAGES")) : 10000;
    if (config->max_pages < 1) config->max_pages = 10000;
    return 0;
}

/* Percent-encodes all but unreserved characters (and '/' when asked):
 * SigV4 signs the path and query exactly as sent. */
static void append_encoded(struct strbuf *out, const char *text, bool keep_slash) {
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/'))
            strbuf_append_char(out, (char)*p);
        else
            strbuf_printf(out, "%%%02X", *p);
    }
}

/* https://endpoint/bucket/key or https://bucket.endpoint/key. */
static void object_url(const struct s3_config *config, const char *bucket, const char *key, struct strbuf *url) {
    if (config->virtual_host) {
        const char *host = strstr(config->endpoint, "://") + 3;
        strbuf_printf(url, "%.*s%s.%s/", (int)(host - config->endpoint), config->endpoint, bucket, host);
    } else {
        strbuf_printf(url, "%s/%s/", config->endpoint, bucket);
    }
    append_encoded(url, key, true);
}

struct request_headers {
    char sigv4[96], credentials[512], token[2100];
    const char *list[2], *secret_list[2];
};

/* Options for one signed request to url; the payload hash header is
 * required by some servers and not added by libcurl 7.88 itself. The
 * signature and the session token go to url's own origin only: a
 * redirect elsewhere is followed without them (http.h). */
static void signed_options(const struct s3_config *config, const char *url, struct request_headers *headers,
                           struct http_options *options) {
    http_options_defaults(options);
    headers->list[0] = "x-amz-content-sha256: UNSIGNED-PAYLOAD";
    headers->list[1] = NULL;
    headers->secret_list[0] = headers->secret_list[1] = NULL;
    if (config->session_token) {
        snprintf(headers->token, sizeof headers->token, "x-amz-security-token: %s", config->session_token);
        headers->secret_list[0] = headers->token;
    }
    options->headers = headers->list;
    options->credential_headers = headers->secret_list;
    options->credential_origin = url;
    options->max_attempts = config->max_attempts;
    options->backoff_ms = config->backoff_ms;
    if (config->access_key) {
        snprintf(headers->sigv4, sizeof headers->sigv4, "aws:amz:%s:s3", config->region);
        snprintf(headers->credentials, sizeof headers->credentials, "%s:%s", config->access_key, config->secret_key);
        options->aws_sigv4 = headers->sigv4;
        options->credentials = headers->credentials;
    }
}

static char *child_text(xmlNode *node, const char *name) {
    for (xmlNode *child = node->children; child; child = child->next)
        if (child->type == XML_ELEMENT_NODE && strcmp((const char *)child->name, name) == 0) {
            xmlChar *content = xmlNodeGetContent(child);
            char *copy = memory_strdup(content ? (const char *)content : "");
            xmlFree(content);
            return copy;
        }
    return NULL;
}

/* Explains an S3 error answer: the code and the bucket/key it concerns
 * (both escaped: the code is the server's text, the key may be a listed one). */
static int s3_failure(long status, const char *body, const char *bucket, const char *raw_key, struct error *err) {
    char code[64] = "", key[300];
    sanitize_text(key, sizeof key, raw_key);
    const char *start = body ? strstr(body, "<Code>") : NULL;
    if (start) {
        struct strbuf shown;
        strbuf_init(&shown);
        sanitize_append_text(&shown, start + 6, strcspn(start + 6, "<"), sizeof code - 1);
        snprintf(code, sizeof code, "%s", strbuf_text(&shown));
        strbuf_free(&shown);
    }
    if (status == 403) {
        error_set(err, "access denied to s3://%s/%s (%s): check the credentials and the bucket policy", bucket, key,
                  code[0] ? code : "403");
        return error_mark_refused(err);
    }
    if (status == 404)
        return error_set(err, "s3://%s/%s does not exist (%s)", bucket, key, code[0] ? code : "404");
    if (status == 301 || strcmp(code, "AuthorizationHeaderMalformed") == 0 || strcmp(code, "PermanentRedirect") == 0)
        return error_set(err, "s3://%s is in another region or behind another endpoint (%s): check AWS_REGION and "
                              "MARTLET_S3_ENDPOINT", bucket, code[0] ? code : "301");
    return error_set(err, "s3://%s/%s: HTTP %ld %s", bucket, key, status, code);
}

/* Parses one ListObjectsV2 page; returns the continuation token, or NULL
 * on the last page. A page that says it is truncated but gives no token
 * is an error: the listing would otherwise end early without a word. So
 * is a page with more than the max_keys objects asked for: with the page
 * limit, that bounds the memory a listing takes. */
static int parse_listing_page(const char *xml, size_t length, int max_keys, struct s3_listing *listing, char **next,
                              struct error *err) {
    xmlDoc *document = xmlReadMemory(xml, (int)length, "listing.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    xmlNode *root = document ? xmlDocGetRootElement(document) : NULL;
    if (root == NULL || strcmp((const char *)root->name, "ListBucketResult") != 0) {
        if (document) xmlFreeDoc(document);
        return error_set(err, "the S3 listing is not a ListBucketResult");
    }
    *next = NULL;
    int page_keys = 0;
    for (xmlNode *node = root->children; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE) continue;
        if (strcmp((const char *)node->name, "NextContinuationToken") == 0) {
            xmlChar *content = xmlNodeGetContent(node);
            free(*next); /* a page naming two tokens leaks neither */
            *next = memory_strdup(content ? (const char *)content : "");
            xmlFree(content);
        }
        if (strcmp((const char *)node->name, "Contents") != 0) continue;
        if (++page_keys > max_keys) {
            free(*next);
            *next = NULL;
            xmlFreeDoc(document);
            return error_set(err, "the S3 listing returned more than the %d keys a page was asked for", max_keys);
        }
        char *key = child_text(node, "Key"), *size = child_text(node, "Size"), *etag = child_text(node, "ETag");
        listing->objects = memory_realloc(listing->objects, (listing->count + 1) * sizeof *listing->objects);
        struct s3_object *object = &listing->objects[listing->count++];
        object->key = key ? key : memory_strdup("");
        object->size = size ? strtoll(size, NULL, 10) : -1;
        const char *bare = etag ? etag : "";
        if (*bare == '"') bare++;
        snprintf(object->etag, sizeof object->etag, "%.*s", (int)strcspn(bare, "\""), bare);
        free(size);
        free(etag);
    }
    char *truncated = child_text(root, "IsTruncated");
    bool more = truncated != NULL && strcmp(truncated, "true") == 0;
    free(truncated);
    xmlFreeDoc(document);
    if (!more) { free(*next); *next = NULL; }
    if (more && (*next == NULL || **next == '\0')) {
        free(*next);
        *next = NULL;
        return error_set(err, "the S3 listing says it is truncated but gives no continuation token");
    }
    return 0;
}

/* True when token was handed out by an earlier page of this listing. */
static bool seen_before(char *const *tokens, size_t count, const char *token) {
    for (size_t i = 0; i < count; i++)
        if (strcmp(tokens[i], token) == 0) return true;
    return false;
}

/* Every object under prefix, over as many pages as the server makes --
 * but a server that hands out a token it gave before, or more pages than
 * config->max_pages, would keep the listing going forever: that fails. */
static int list_objects(const struct s3_config *config, const char *bucket, const char *prefix,
                        struct s3_listing *listing, struct error *err) {
    char *token = NULL;
    char **tokens = NULL; /* every token handed out so far */
    size_t pages = 0;
    int status = 0;
    do {
        if (token && seen_before(tokens, pages - 1, token)) {
            char shown[80];
            status = error_set(err, "the S3 listing of s3://%s/%s repeats its continuation token '%s' after %zu pages: "
                                    "the server is looping", bucket, prefix, sanitize_text(shown, sizeof shown, token), pages);
            break;
        }
        if (pages >= (size_t)config->max_pages) {
            status = error_set(err, "the S3 listing of s3://%s/%s goes on past %d pages (MARTLET_S3_MAX_PAGES): "
                                    "stopped", bucket, prefix, config->max_pages);
            break;
        }
        if (token) {
            tokens = memory_realloc(tokens, pages * sizeof *tokens);
            tokens[pages - 1] = memory_strdup(token);
        }
        pages++;
        /* libcurl signs the query as written: names sorted, values encoded, every name with '='. */
        struct strbuf url;
        strbuf_init(&url);
        object_url(config, bucket, "", &url);
        strbuf_append_char(&url, '?');
        if (token) { strbuf_append_string(&url, "continuation-token="); append_encoded(&url, token, false); strbuf_append_char(&url, '&'); }
        strbuf_printf(&url, "list-type=2&max-keys=%d&prefix=", config->max_keys);
        append_encoded(&url, prefix, false);
        struct request_headers headers;
        struct http_options options;
        signed_options(config, strbuf_text(&url), &headers, &options);
        struct http_response response;
        status = http_request("GET", strbuf_text(&url), &options, &response, err);
        free(token);
        token = NULL;
        if (status == 0 && response.status != 200)
            status = s3_failure(response.status, strbuf_text(&response.body), bucket, prefix, err);
        if (status == 0)
            status = parse_listing_page(strbuf_text(&response.body), response.body.length, config->max_keys, listing,
                                        &token, err);
        http_response_free(&response);
        strbuf_free(&url);
    } while (status == 0 && token != NULL);
    free(token);
    for (size_t i = 0; i + 1 < pages; i++) free(tokens[i]);
    free(tokens);
    return status;
}

static void hash_chunk(void *context, const char *data, size_t length) {
    EVP_DigestUpdate(context, data, length);
}

/* Checks a download against the listing: its size, and its MD5 (hashed
 * while it streamed in) against the ETag -- unless the ETag is a
 * multipart one (with a '-'), which is no MD5 of the content. */
static int verify(const char *path, const struct s3_object *object, const char *bucket, EVP_MD_CTX *md5,
                  struct error *err) {
    struct stat info;
    char key[300], etag[100];
    sanitize_text(key, sizeof key, object->key);
    if (stat(path, &info) != 0) return error_set(err, "cannot read %s", path);
    if ((int64_t)info.st_size != object->size)
        return error_set(err, "s3://%s/%s: got %lld bytes, the server announced %lld", bucket, key,
                         (long long)info.st_size, (long long)object->size);
    if (strchr(object->etag, '-') != NULL || object->etag[0] == '\0') return 0;
    unsigned char digest[16];
    unsigned int length = 0;
    EVP_DigestFinal_ex(md5, digest, &length);
    char hex[33];
    for (unsigned i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (strcmp(hex, object->etag) != 0)
        return error_set(err, "s3://%s/%s: content does not match its ETag (MD5 %s, ETag %s): corrupted in transit",
                         bucket, key, hex, sanitize_text(etag, sizeof etag, object->etag));
    return 0;
}

static char *etag_path(const char *directory, const char *relative) {
    struct strbuf path;
    strbuf_init(&path);
    strbuf_printf(&path, "%s/.martlet-etags/%s.etag", directory, relative);
    return strbuf_detach(&path);
}

/* True when the cached copy is the object as listed now. */
static bool unchanged(const char *path, const char *etag_file, const struct s3_object *object) {
    struct stat info;
    char *saved = NULL;
    struct error ignored;
    if (stat(path, &info) != 0 || (int64_t)info.st_size != object->size || files_read_all(etag_file, &saved, &ignored) != 0)
        return false;
    bool same = strcmp(saved, object->etag) == 0;
    free(saved);
    return same;
}

/* Downloads one object (retrying a corrupted transfer), verifies it and
 * records its ETag. */
static int fetch_object(const struct s3_config *config, const char *bucket, const struct s3_object *object,
                        const char *path, const char *etag_file, struct error *err) {
    char *parent = memory_strdup(etag_file);
    *strrchr(parent, '/') = '\0';
    int status = files_make_directories(parent, err);
    free(parent);
    parent = memory_strdup(path);
    *strrchr(parent, '/') = '\0';
    if (status == 0) status = files_make_directories(parent, err);
    free(parent);
    struct strbuf url;
    strbuf_init(&url);
    object_url(config, bucket, object->key, &url);
    EVP_MD_CTX *md5 = EVP_MD_CTX_new();
    long backoff = config->backoff_ms;
    char label[120];
    sanitize_text(label, sizeof label, object->key); /* progress goes to the terminal too */
    /* Each attempt restarts the body and its hash; transport failures,
     * 5xx and corrupted transfers are retried, a 4xx is final, and so is
     * a file that cannot be written (a full disk stays full). */
    for (int attempt = 1; status == 0; attempt++) {
        struct request_headers headers;
        struct http_options options;
        signed_options(config, strbuf_text(&url), &headers, &options);
        options.max_attempts = 1;
        options.progress_label = label;
        options.on_data = hash_chunk;
        options.on_data_context = md5;
        EVP_DigestInit_ex(md5, EVP_md5(), NULL);
        struct http_download_result result;
        status = http_download(strbuf_text(&url), &options, path, &result, err);
        if (status == 0) {
            status = verify(path, object, bucket, md5, err);
            if (status != 0) remove(path);
        } else if (result.local_failure) {
            break;
        } else if (result.status >= 300 && result.status < 500) {
            status = s3_failure(result.status, NULL, bucket, object->key, err);
            break;
        }
        if (status == 0 || attempt >= config->max_attempts) break;
        clock_sleep_ms(backoff);
        backoff *= 2;
        status = 0;
    }
    EVP_MD_CTX_free(md5);
    if (status == 0) status = files_write_all(etag_file, object->etag, strlen(object->etag), err);
    strbuf_free(&url);
    return status;
}

/* Parses s3://bucket/key or s3://bucket/prefix/ into bucket and key. */
static int parse_url(const char *url, char *bucket, size_t bucket_size, const char **key, struct error *err) {
    if (strncmp(url, "s3://", 5) != 0) return error_set(err, "'%s' is not an s3:// URL", url);
    const char *name = url + 5, *slash = strchr(name, '/');
    size_t length = slash ? (size_t)(slash - name) : strlen(name);
    if (length == 0 || length >= bucket_size || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") < length)
        return error_set(err, "'%s' does not name a valid bucket", url);
    snprintf(bucket, bucket_size, "%.*s", (int)length, name);
    *key = slash ? slash + 1 : "";
    if (strstr(*key, "..")) return error_set(err, "'%s': keys with '..' are not fetched", url);
    return 0;
}

/* Why relative (a key with the prefix taken off) cannot be a file under
 * the output folder, or NULL when it can: no absolute path, no empty, "."
 * or ".." segment (a key must never write outside the folder), no control
 * character, and not the folder where ETags are kept. */
static const char *unsafe_relative_path(const char *relative) {
    if (*relative == '/') return "an absolute path";
    for (const char *segment = relative; *segment;) {
        size_t length = strcspn(segment, "/");
        if (length == 0 || (length == 1 && segment[0] == '.') || (length == 2 && strncmp(segment, "..", 2) == 0))
            return "an empty, '.' or '..' path segment";
        segment += length;
        if (*segment == '/') segment++;
    }
    for (const unsigned char *p = (const unsigned char *)relative; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return "a control character";
    if (strncmp(relative, ".martlet-etags/", 15) == 0) return "martlet's own ETag folder";
    return NULL;
}

/* Counts a listed object that is not mirrored, keeping the first one's
 * key and reason for the caller's warning. */
static void skip_object(struct s3_sync_stats *stats, const char *key, const char *reason) {
    if (stats->skipped++ > 0) return;
    char shown[200];
    snprintf(stats->first_skipped, sizeof stats->first_skipped, "'%s' (%s)", sanitize_text(shown, sizeof shown, key),
             reason);
}

/* Mirrors s3://bucket/prefix/ (or one s3://bucket/key) into directory:
 * objects land under their key relative to the prefix. A listed key that
 * is not under the prefix, or whose relative path would leave directory,
 * is skipped and counted in stats->skipped (the server chose it, not the
 * user: a warning, not a failure). */
int s3_sync(const struct s3_config *config, const char *url, const char *directory, struct s3_sync_stats *stats,
            struct error *err) {
    memset(stats, 0, sizeof *stats);
    char bucket[128];
    const char *key = "";
    if (parse_url(url, bucket, sizeof bucket, &key, err) != 0) return -1;
    bool single = *key != '\0' && key[strlen(key) - 1] != '/';
    struct s3_listing listing = {0};
    int status = list_objects(config, bucket, key, &listing, err);
    size_t prefix_length = single ? (size_t)(strrchr(key, '/') ? strrchr(key, '/') - key + 1 : 0) : strlen(key);
    for (size_t i = 0; i < listing.count && status == 0; i++) {
        const struct s3_object *object = &listing.objects[i];
        size_t length = strlen(object->key);
        if (strncmp(object->key, key, prefix_length) != 0 || (single && strncmp(object->key, key, strlen(key)) != 0)) {
            skip_object(stats, object->key, "outside the requested prefix");
            continue;
        }
        if ((single && strcmp(object->key, key) != 0) || length == prefix_length || object->key[length - 1] == '/')
            continue; /* a longer key sharing the name's start, or a folder marker */
        const char *relative = object->key + prefix_length;
        const char *unsafe = unsafe_relative_path(relative);
        if (unsafe) {
            skip_object(stats, object->key, unsafe);
            continue;
        }
        stats->objects++;
        char *path = files_join(directory, relative), *etag_file = etag_path(directory, relative);
        if (unchanged(path, etag_file, object)) {
            stats->unchanged++;
        } else {
            status = fetch_object(config, bucket, object, path, etag_file, err);
            if (status == 0) { stats->downloaded++; stats->bytes += object->size; }
        }
        free(path);
        free(etag_file);
    }
    if (status == 0 && single && stats->objects == 0) status = error_set(err, "s3://%s/%s does not exist", bucket, key);
    if (status == 0 && stats->objects == 0) status = error_set(err, "no objects under %s", url);
    for (size_t i = 0; i < listing.count; i++) free(listing.objects[i].key);
    free(listing.objects);
    return status;
}
