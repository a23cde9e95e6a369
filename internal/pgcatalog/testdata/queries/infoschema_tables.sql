-- information_schema lookups (Power BI, DBeaver, Metabase fallbacks)
SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2
