SELECT * FROM "sales.orders.x".lineitem
