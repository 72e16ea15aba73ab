-- Calendar labels for PostgreSQL; the same results as macros/duckdb.sql.

-- ISO week as 'YYYY-Www' (2024-W08).
CREATE OR REPLACE FUNCTION iso_week_label(day timestamp) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(day, 'IYYY-"W"IW') $$;

-- Calendar month as 'YYYY-MM' (2024-02).
CREATE OR REPLACE FUNCTION month_label(day timestamp) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(day, 'YYYY-MM') $$;
