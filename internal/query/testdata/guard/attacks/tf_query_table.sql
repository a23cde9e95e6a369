SELECT * FROM query_table('__mesh.sales_lineitem')
