SELECT * FROM duckdb_tables()
