SELECT * FROM sales.orders.lineitem; SELECT * FROM read_csv('/etc/passwd')
