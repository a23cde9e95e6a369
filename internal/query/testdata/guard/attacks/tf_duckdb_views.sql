SELECT sql FROM duckdb_views()
