SELECT c.name, sum(l.amount) FROM sales.orders.lineitem l JOIN crm.customers.customer c ON l.customer_id = c.id JOIN geo.ref.country g ON g.code = c.country GROUP BY ALL
