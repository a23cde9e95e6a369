SELECT * FROM sales.orders.lineitem WHERE order_id IN (SELECT x FROM main.secrets)
