SELECT order_id, row_number() OVER (PARTITION BY customer_id ORDER BY amount DESC) FROM sales.orders.lineitem QUALIFY 1 = 1
