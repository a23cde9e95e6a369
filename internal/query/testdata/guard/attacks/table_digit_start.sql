SELECT * FROM "1sales".orders.lineitem
