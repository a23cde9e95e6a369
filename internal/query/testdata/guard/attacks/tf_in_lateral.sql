SELECT * FROM sales.orders.lineitem l, LATERAL (SELECT * FROM read_text('/etc/passwd'))
