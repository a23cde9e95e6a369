SELECT * FROM sales.orders.lineitem WHERE order_id IN (SELECT * FROM range(3))
