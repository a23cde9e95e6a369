SELECT * FROM read_csv('/etc/passwd') UNPIVOT (v FOR k IN (column0))
