SELECT * FROM duckdb_secrets()
