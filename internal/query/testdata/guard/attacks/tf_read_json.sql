SELECT * FROM read_json('/etc/x.json')
