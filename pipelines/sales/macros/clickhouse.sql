-- Calendar labels for ClickHouse, the same results as macros/duckdb.sql. ClickHouse 18.16 has no user-defined
-- functions: martlet's ClickHouse driver keeps these CREATE MACRO statements and expands every call in the models'
-- and reports' SQL itself (src/warehouse/clickhouse_macros.c). The argument is a Date.

-- ISO week as 'YYYY-Www' (2024-W08): 100 + week printed from its second digit pads it to two.
CREATE MACRO iso_week_label(day) AS
    concat(toString(toISOYear(day)), '-W', substring(toString(100 + toISOWeek(day)), 2, 2));

-- Calendar month as 'YYYY-MM' (2024-02).
CREATE MACRO month_label(day) AS substring(toString(day), 1, 7);

-- The day of a timestamp (text there, "2024-04-01 09:40:25.557623"; see README "ClickHouse") as a Date.
CREATE MACRO day_of(ts) AS toDate(substring(ts, 1, 10));
