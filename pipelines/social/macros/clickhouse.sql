-- Hash keys for ClickHouse, bit-identical to macros/duckdb.sql (docs/semantics.md). ClickHouse 18.16 has no
-- user-defined functions: martlet's ClickHouse driver keeps these CREATE MACRO statements and expands every
-- call in the models' SQL itself (src/warehouse/clickhouse_macros.c).

-- One key part as canonical text: decimal for numbers, text without leading or trailing spaces (18.16 has no
-- trim()), '^^' for NULL.
CREATE MACRO key_part(value) AS coalesce(replaceRegexpAll(toString(value), '^ +| +$', ''), '^^');

-- The first 8 bytes of MD5, read big-endian, as a signed 64-bit integer.
CREATE MACRO hash_key(canonical) AS reinterpretAsInt64(reverse(substring(MD5(canonical), 1, 8)));

-- numerator / denominator as Decimal(9,6), rounded half up, computed in integers; 0 when nothing to divide.
-- ClickHouse's if() evaluates both branches on every row, so the division itself never divides by 0.
CREATE MACRO exact_ratio(numerator, denominator) AS
    if(coalesce(denominator, 0) = 0, toDecimal64(0, 6),
       toDecimal64(intDiv(2 * toInt64(numerator) * 1000000 + toInt64(denominator),
                          2 * if(coalesce(denominator, 0) = 0, 1, toInt64(denominator))), 0)
       * toDecimal64(0.000001, 6));

-- Timestamps are text there ("2021-04-06 09:40:25.557623", see README "ClickHouse"): their whole seconds since
-- the epoch (OrNull: a NULL row is parsed as its empty default first), and the fraction of a second, for
-- differences as exact as EXTRACT(EPOCH FROM ...) elsewhere.
CREATE MACRO timestamp_seconds(ts) AS toInt64(toDateTimeOrNull(substring(ts, 1, 19)));
CREATE MACRO timestamp_fraction(ts) AS toFloat64OrZero(concat('0', substring(ts, 20)));
