SELECT $name
