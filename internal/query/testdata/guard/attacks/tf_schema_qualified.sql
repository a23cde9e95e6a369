SELECT * FROM main.read_text('/etc/passwd')
