SELECT * FROM parquet_metadata('/tmp/x.parquet')
