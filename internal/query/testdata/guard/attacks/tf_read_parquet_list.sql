SELECT * FROM read_parquet(['a.parquet', 'b.parquet'])
