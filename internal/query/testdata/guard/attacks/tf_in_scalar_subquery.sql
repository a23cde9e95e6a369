SELECT (SELECT count(*) FROM duckdb_tables())
