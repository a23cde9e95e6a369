SELECT getenv('HOME')
