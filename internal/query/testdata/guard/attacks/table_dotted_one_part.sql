SELECT * FROM sales.orders.lineitem, "sales.orders.lineitem"
