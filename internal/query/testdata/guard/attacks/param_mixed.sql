SELECT $1, ?, $name
