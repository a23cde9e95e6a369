SELECT * FROM "/etc/passwd"
