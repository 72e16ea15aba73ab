-- Calendar labels for DuckDB; postgres.sql defines the same functions.

-- ISO week of a date or timestamp as 'YYYY-Www' (2024-W08).
CREATE OR REPLACE MACRO iso_week_label(day) AS
    CAST(CAST(EXTRACT(isoyear FROM day) AS INTEGER) AS VARCHAR) || '-W'
    || lpad(CAST(CAST(EXTRACT(week FROM day) AS INTEGER) AS VARCHAR), 2, '0');

-- Calendar month as 'YYYY-MM' (2024-02).
CREATE OR REPLACE MACRO month_label(day) AS
    CAST(CAST(EXTRACT(year FROM day) AS INTEGER) AS VARCHAR) || '-'
    || lpad(CAST(CAST(EXTRACT(month FROM day) AS INTEGER) AS VARCHAR), 2, '0');
