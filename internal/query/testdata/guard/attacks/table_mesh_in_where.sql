SELECT * FROM sales.orders.lineitem WHERE amount > (SELECT count(*) FROM __mesh.crm_customer)
