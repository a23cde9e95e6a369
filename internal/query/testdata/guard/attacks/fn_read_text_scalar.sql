SELECT read_text('/etc/passwd')
