SELECT * FROM sales.orders.lineitem AT (VERSION => $1)
