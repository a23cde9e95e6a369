SELECT version() OVER () FROM sales.orders.lineitem
