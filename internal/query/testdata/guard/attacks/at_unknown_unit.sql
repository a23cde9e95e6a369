SELECT * FROM sales.orders.lineitem AT (SNAPSHOT => 1)
