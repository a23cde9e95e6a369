SELECT * FROM sniff_csv('/etc/passwd')
