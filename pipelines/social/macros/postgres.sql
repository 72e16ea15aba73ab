-- Hash keys for PostgreSQL, bit-identical to macros/duckdb.sql (docs/semantics.md).

-- One key part as canonical text: decimal for numbers, text without leading and trailing
-- ASCII spaces (U+0020 only, as PostgreSQL's trim), '^^' for NULL.
CREATE OR REPLACE FUNCTION key_part(value anyelement) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(trim(CAST(value AS text)), '^^') $$;

-- The first 8 bytes of MD5, big-endian, as a signed BIGINT.
CREATE OR REPLACE FUNCTION hash_key(canonical text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT CAST(CAST('x' || substr(md5(canonical), 1, 16) AS bit(64)) AS bigint) $$;

-- numerator / denominator as NUMERIC(9,6), rounded half up, computed in integers.
CREATE OR REPLACE FUNCTION exact_ratio(numerator bigint, denominator bigint) RETURNS numeric(9,6)
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN coalesce(denominator, 0) = 0 THEN CAST(0 AS numeric(9,6))
                ELSE CAST(CAST((2 * numerator * 1000000 + denominator) / (2 * denominator) AS numeric(18,0)) * 0.000001
                          AS numeric(9,6)) END $$;
