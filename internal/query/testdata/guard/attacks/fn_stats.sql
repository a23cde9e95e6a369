SELECT stats(amount) FROM sales.orders.lineitem
