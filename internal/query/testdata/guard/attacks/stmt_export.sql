EXPORT DATABASE '/tmp/dump'
