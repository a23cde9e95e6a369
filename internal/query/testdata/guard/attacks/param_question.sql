SELECT * FROM sales.orders.lineitem WHERE order_id = ?
