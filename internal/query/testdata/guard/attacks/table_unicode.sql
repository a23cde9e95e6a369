SELECT * FROM "sälës".orders.lineitem
