SELECT * FROM 'x.parquet'
