SELECT * FROM "sales"."orders"."line item"
