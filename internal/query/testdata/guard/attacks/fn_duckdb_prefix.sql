SELECT duckdb_functions()
