SELECT * FROM glob('/*')
