CREATE TABLE IF NOT EXISTS mesh_subscriptions (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    groups     TEXT NOT NULL, -- the owner's groups when subscribing (JSON), for visibility checks at emit time
    url        TEXT NOT NULL,
    types      TEXT NOT NULL, -- JSON array
    products   TEXT NOT NULL, -- JSON array of domain or domain.product; empty: all
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mesh_events (
    id       TEXT PRIMARY KEY,
    type     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    time     TEXT NOT NULL,
    payload  TEXT NOT NULL -- the CloudEvent, as sent
);
CREATE TABLE IF NOT EXISTS mesh_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT,          -- NULL for a raw send
    subscription_id TEXT,          -- NULL for a raw send
    target          TEXT NOT NULL, -- the URL posted to
    content_type    TEXT NOT NULL,
    body            TEXT,          -- a raw send's body; events read mesh_events.payload
    status          TEXT NOT NULL, -- pending, delivered, failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER NOT NULL, -- unix ms when due (or when an in-flight lease ends)
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mesh_deliveries_due ON mesh_deliveries (status, next_at);
CREATE INDEX IF NOT EXISTS mesh_deliveries_sub ON mesh_deliveries (subscription_id, id);
