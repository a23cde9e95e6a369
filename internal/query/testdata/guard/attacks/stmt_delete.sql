DELETE FROM sales.orders.lineitem
