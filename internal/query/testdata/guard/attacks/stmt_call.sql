CALL duckdb_settings()
