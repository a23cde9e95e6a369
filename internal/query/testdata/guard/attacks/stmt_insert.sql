INSERT INTO sales.orders.lineitem VALUES (9, 9, 9, [])
