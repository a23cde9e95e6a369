SELECT list_transform(items, x -> x + 1), list_filter(items, lambda y: y > 1) FROM sales.orders.lineitem
