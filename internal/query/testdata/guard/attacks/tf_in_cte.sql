WITH x AS (SELECT * FROM read_text('/etc/passwd')) SELECT * FROM x
