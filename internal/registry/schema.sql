CREATE TABLE IF NOT EXISTS mesh_domains (
    name       TEXT PRIMARY KEY,
    team       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mesh_products (
    domain      TEXT NOT NULL REFERENCES mesh_domains(name),
    name        TEXT NOT NULL,
    spec_id     TEXT NOT NULL,
    status      TEXT NOT NULL,
    version     TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    team        TEXT NOT NULL DEFAULT '',
    doc         TEXT NOT NULL,
    hash        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (domain, name)
);
CREATE TABLE IF NOT EXISTS mesh_contracts (
    id         TEXT NOT NULL,
    version    TEXT NOT NULL,
    major      INTEGER NOT NULL DEFAULT 0,
    domain     TEXT NOT NULL,
    product    TEXT NOT NULL,
    status     TEXT NOT NULL,
    doc        TEXT NOT NULL,
    hash       TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    applied_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (id, version),
    FOREIGN KEY (domain, product) REFERENCES mesh_products(domain, name)
);
CREATE TABLE IF NOT EXISTS mesh_publishes (
    run_id          TEXT PRIMARY KEY,
    domain          TEXT NOT NULL,
    product         TEXT NOT NULL,
    tbl             TEXT NOT NULL,
    mode            TEXT NOT NULL,
    status          TEXT NOT NULL,
    snapshot_id     INTEGER,
    idempotency_key TEXT,
    report          TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    finished_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS mesh_publishes_idem
    ON mesh_publishes (domain, product, tbl, idempotency_key)
    WHERE idempotency_key IS NOT NULL AND status = 'committed';
CREATE INDEX IF NOT EXISTS mesh_publishes_tbl ON mesh_publishes (domain, product, tbl, finished_at);
