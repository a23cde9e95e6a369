SELECT * FROM sales.orders.lineitem l JOIN read_csv('/etc/passwd') p ON true
