SELECT * FROM pragma_table_info('__mesh.sales_lineitem')
