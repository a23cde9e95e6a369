SUMMARIZE sales.orders.lineitem
