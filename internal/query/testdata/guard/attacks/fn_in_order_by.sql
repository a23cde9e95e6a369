SELECT 1 ORDER BY getvariable('x')
