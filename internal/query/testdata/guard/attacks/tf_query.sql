SELECT * FROM query('SELECT * FROM __mesh.sales_lineitem')
