SELECT * FROM duckdb_logs_parsed('x')
