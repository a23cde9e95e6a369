SELECT * FROM unnest([1, 2])
