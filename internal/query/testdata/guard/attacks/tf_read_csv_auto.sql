SELECT * FROM read_csv_auto('/etc/passwd')
