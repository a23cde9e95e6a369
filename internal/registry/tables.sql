CREATE TABLE IF NOT EXISTS mesh_tables (
    domain           TEXT NOT NULL,
    product          TEXT NOT NULL,
    major            INTEGER NOT NULL,
    name             TEXT NOT NULL,
    namespace        TEXT NOT NULL,
    contract_id      TEXT NOT NULL,
    contract_version TEXT NOT NULL,
    status           TEXT NOT NULL,
    sunset           TEXT NOT NULL DEFAULT '',
    def              TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (domain, product, major, name),
    FOREIGN KEY (domain, product) REFERENCES mesh_products(domain, name)
);
