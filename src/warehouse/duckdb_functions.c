/* duckdb_functions.c -- see duckdb_functions.h. MD5 comes from OpenSSL's
 * libcrypto (already linked for S3's ETags). */
#include "duckdb_functions.h"

#include <openssl/evp.h>
#include <stdint.h>

/* md5_int64 over one chunk. The MD5 implementation is fetched once at
 * registration (an implicit fetch at every digest would dominate short
 * keys); each call owns its digest context, since DuckDB calls the
 * function from several threads at once. */
static void md5_int64(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
    EVP_MD *md5 = duckdb_scalar_function_get_extra_info(info);
    idx_t rows = duckdb_data_chunk_get_size(input);
    duckdb_vector texts = duckdb_data_chunk_get_vector(input, 0);
    duckdb_string_t *values = duckdb_vector_get_data(texts);
    uint64_t *valid = duckdb_vector_get_validity(texts);
    int64_t *keys = duckdb_vector_get_data(output);
    uint64_t *keys_valid = NULL;
    if (valid) {
        duckdb_vector_ensure_validity_writable(output);
        keys_valid = duckdb_vector_get_validity(output);
    }
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    if (context == NULL) {
        duckdb_scalar_function_set_error(info, "md5_int64: out of memory");
        return;
    }
    for (idx_t row = 0; row < rows; row++) {
        if (valid && !duckdb_validity_row_is_valid(valid, row)) {
            duckdb_validity_set_row_invalid(keys_valid, row);
            continue;
        }
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        if (EVP_DigestInit_ex2(context, md5, NULL) != 1 ||
            EVP_DigestUpdate(context, duckdb_string_t_data(&values[row]), duckdb_string_t_length(values[row])) != 1 ||
            EVP_DigestFinal_ex(context, digest, &length) != 1 || length < 8) {
            duckdb_scalar_function_set_error(info, "md5_int64: MD5 failed");
            break;
        }
        uint64_t key = 0;
        for (int i = 0; i < 8; i++) key = key << 8 | digest[i];
        keys[row] = (int64_t)key; /* two's complement: the signed reading of the same 8 bytes */
    }
    EVP_MD_CTX_free(context);
}

/* Releases the fetched MD5 when DuckDB drops the function. */
static void free_md5(void *md5) {
    EVP_MD_free(md5);
}

/* Registers md5_int64. */
int duckdb_functions_register(duckdb_connection connection, struct error *err) {
    EVP_MD *md5 = EVP_MD_fetch(NULL, "MD5", NULL);
    if (md5 == NULL) return error_set(err, "cannot register md5_int64: OpenSSL offers no MD5");
    duckdb_scalar_function function = duckdb_create_scalar_function();
    duckdb_scalar_function_set_name(function, "md5_int64");
    duckdb_logical_type text = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    duckdb_logical_type integer = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    duckdb_scalar_function_add_parameter(function, text);
    duckdb_scalar_function_set_return_type(function, integer);
    duckdb_destroy_logical_type(&text);
    duckdb_destroy_logical_type(&integer);
    duckdb_scalar_function_set_extra_info(function, md5, free_md5);
    duckdb_scalar_function_set_function(function, md5_int64);
    int status = 0;
    if (duckdb_register_scalar_function(connection, function) != DuckDBSuccess)
        status = error_set(err, "cannot register md5_int64 with DuckDB");
    duckdb_destroy_scalar_function(&function);
    return status;
}
