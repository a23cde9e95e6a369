SELECT * FROM sales.orders.lineitem AT (VERSION => COLUMNS(*))
