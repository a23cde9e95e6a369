SELECT * FROM sales.orders.lineitem AT (TIMESTAMP => amount)
