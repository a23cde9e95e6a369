SELECT * FROM parquet_schema('/tmp/x.parquet')
