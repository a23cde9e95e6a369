DESCRIBE sales.orders.lineitem
