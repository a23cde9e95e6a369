PIVOT sales.orders.lineitem ON customer_id USING sum(amount)
