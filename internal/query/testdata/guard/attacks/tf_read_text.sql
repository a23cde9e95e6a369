SELECT * FROM read_text('/etc/passwd')
