SELECT * FROM sales.orders.lineitem x AT (VERSION => 3) JOIN sales.orders.lineitem AT (TIMESTAMP => TIMESTAMP '2026-01-01') USING (order_id)
