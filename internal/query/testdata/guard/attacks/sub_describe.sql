SELECT * FROM (DESCRIBE sales.orders.lineitem)
