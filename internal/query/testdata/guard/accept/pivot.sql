SELECT * FROM sales.orders.lineitem PIVOT (sum(amount) FOR customer_id IN (10, 20) GROUP BY order_id)
