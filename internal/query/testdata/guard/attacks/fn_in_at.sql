SELECT * FROM sales.orders.lineitem AT (VERSION => current_setting('threads')::INT)
