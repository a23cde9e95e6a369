-- Times are fixed-width UTC text (see timeFormat in store.go) so that they sort as they compare.
CREATE TABLE IF NOT EXISTS mesh_principals (
    name       TEXT PRIMARY KEY,
    groups     TEXT NOT NULL DEFAULT '[]', -- JSON array of group names, sorted
    attrs      TEXT NOT NULL DEFAULT '{}', -- JSON object of string arrays
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mesh_tokens (
    id         TEXT PRIMARY KEY,
    principal  TEXT NOT NULL REFERENCES mesh_principals(name),
    hash       TEXT NOT NULL UNIQUE, -- hex SHA-256 of the secret; the secret itself is never stored
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS mesh_tokens_principal ON mesh_tokens (principal);
CREATE TABLE IF NOT EXISTS mesh_grants (
    id         TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    subject    TEXT NOT NULL, -- a principal name or "group:NAME"
    domain     TEXT NOT NULL DEFAULT '', -- '' is the platform (admin only)
    product    TEXT NOT NULL DEFAULT '', -- '' is the whole domain
    expires_at TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (role, subject, domain, product)
);
CREATE TABLE IF NOT EXISTS mesh_access_requests (
    id         TEXT PRIMARY KEY,
    principal  TEXT NOT NULL,
    domain     TEXT NOT NULL,
    product    TEXT NOT NULL,
    role       TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    status     TEXT NOT NULL,
    decided_by TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    grant_id   TEXT NOT NULL DEFAULT '',
    expires_at TEXT, -- of the grant an approval created
    created_at TEXT NOT NULL,
    decided_at TEXT
);
-- One pending request per principal, product and role; decided ones are history.
CREATE UNIQUE INDEX IF NOT EXISTS mesh_access_requests_pending
    ON mesh_access_requests (principal, domain, product, role) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS mesh_access_requests_product ON mesh_access_requests (domain, product, created_at);
