SELECT * FROM read_parquet('/tmp/x.parquet')
