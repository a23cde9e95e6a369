-- information_schema.columns of one table
SELECT column_name, data_type, is_nullable, ordinal_position FROM information_schema.columns WHERE table_schema = 'sales.orders' AND table_name = 'orders' ORDER BY ordinal_position
