SELECT * FROM "..".orders.lineitem
