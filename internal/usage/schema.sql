-- Usage statistics (internal/usage). Principal names live only in
-- mesh_usage_consumers, to count distinct consumers; they are never returned.
CREATE TABLE IF NOT EXISTS mesh_usage_consumers (
    domain    TEXT NOT NULL,
    product   TEXT NOT NULL,
    day       TEXT NOT NULL, -- UTC, YYYY-MM-DD
    principal TEXT NOT NULL,
    queries   INTEGER NOT NULL,
    PRIMARY KEY (domain, product, day, principal)
);
CREATE INDEX IF NOT EXISTS mesh_usage_consumers_day ON mesh_usage_consumers (day);
CREATE TABLE IF NOT EXISTS mesh_usage_fingerprints (
    domain      TEXT NOT NULL,
    product     TEXT NOT NULL,
    hash        TEXT NOT NULL, -- of the fingerprint
    fingerprint TEXT NOT NULL,
    products    TEXT NOT NULL, -- every product the query read, "d.p,d.p", sorted
    queries     INTEGER NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (domain, product, hash)
);
CREATE INDEX IF NOT EXISTS mesh_usage_fingerprints_top ON mesh_usage_fingerprints (domain, product, queries, last_seen);
