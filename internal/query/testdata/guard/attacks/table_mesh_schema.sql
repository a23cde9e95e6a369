SELECT * FROM __mesh.sales_lineitem
