SELECT * FROM memory.__mesh.sales_lineitem
