IMPORT DATABASE '/tmp/dump'
