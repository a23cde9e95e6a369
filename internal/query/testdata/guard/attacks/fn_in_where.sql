SELECT * FROM sales.orders.lineitem WHERE current_setting('threads') IS NOT NULL
