SELECT (SELECT current_setting('threads') FROM crm.customers.customer LIMIT 1)
