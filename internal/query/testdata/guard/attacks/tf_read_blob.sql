SELECT * FROM read_blob('/etc/shadow')
