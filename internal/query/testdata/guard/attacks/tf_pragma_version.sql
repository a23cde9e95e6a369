SELECT * FROM pragma_version()
