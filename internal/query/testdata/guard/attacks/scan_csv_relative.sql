SELECT * FROM 'data/../../etc/x.csv'
