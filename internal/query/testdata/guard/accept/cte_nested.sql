WITH big AS (SELECT * FROM sales.orders.lineitem WHERE amount > 60), names AS (SELECT b.order_id FROM big b) SELECT * FROM names
