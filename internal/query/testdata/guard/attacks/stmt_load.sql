LOAD httpfs
