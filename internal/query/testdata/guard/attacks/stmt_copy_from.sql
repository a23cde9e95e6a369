COPY sales.orders.lineitem FROM '/etc/passwd'
