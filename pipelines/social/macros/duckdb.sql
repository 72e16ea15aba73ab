-- Hash keys for DuckDB (docs/semantics.md): the first 8 bytes of MD5 over the
-- canonical key text, read big-endian as a signed 64-bit integer.
-- postgres.sql defines the same functions; results are bit-identical.

-- One key part as canonical text: decimal for numbers, text without leading and trailing
-- ASCII spaces (U+0020 only, as PostgreSQL's trim), '^^' for NULL.
CREATE OR REPLACE MACRO key_part(value) AS coalesce(trim(CAST(value AS VARCHAR), ' '), '^^');

-- The hash key of canonical text (join composite parts with '||' first):
-- md5_int64 is martlet's C function for exactly this (src/warehouse/duckdb_functions.c).
CREATE OR REPLACE MACRO hash_key(canonical) AS md5_int64(canonical);

-- numerator / denominator as DECIMAL(9,6), rounded half up, computed in
-- integers so every warehouse gets the same digits; 0 when nothing to divide.
CREATE OR REPLACE MACRO exact_ratio(numerator, denominator) AS
    CASE WHEN coalesce(denominator, 0) = 0 THEN CAST(0 AS DECIMAL(9,6))
         ELSE CAST(CAST((2 * CAST(numerator AS BIGINT) * 1000000 + denominator) // (2 * CAST(denominator AS BIGINT))
                        AS DECIMAL(18,0)) * CAST(0.000001 AS DECIMAL(7,6)) AS DECIMAL(9,6)) END;
