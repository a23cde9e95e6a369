SELECT * FROM (SUMMARIZE sales.orders.lineitem)
