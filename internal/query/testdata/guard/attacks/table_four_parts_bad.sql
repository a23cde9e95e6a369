SELECT * FROM "sales.orders".lineitem
