UPDATE sales.orders.lineitem SET amount = 0
