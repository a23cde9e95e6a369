DROP TABLE __mesh.sales_lineitem
