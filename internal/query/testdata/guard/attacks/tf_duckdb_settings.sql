SELECT * FROM duckdb_settings()
