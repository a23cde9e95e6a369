SELECT * FROM sales.orders.lineitem AT (VERSION => (SELECT max(order_id) FROM crm.customers.customer))
