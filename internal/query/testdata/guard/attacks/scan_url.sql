SELECT * FROM 'https://example.com/x.parquet'
