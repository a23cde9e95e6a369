CREATE TABLE IF NOT EXISTS mesh_sla_breaches (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    domain       TEXT NOT NULL,
    product      TEXT NOT NULL,
    major        INTEGER NOT NULL,
    tbl          TEXT NOT NULL,
    status       TEXT NOT NULL,              -- late, stale or never: the worst seen while open
    sla          TEXT NOT NULL,              -- the SLA breached, e.g. "frequency 1 day, latency 4 hours"
    last_publish TEXT NOT NULL DEFAULT '',   -- the commit the table was measured from; '' for never
    started_at   TEXT NOT NULL,
    resolved_at  TEXT                        -- NULL while open
);
-- At most one open breach per table.
CREATE UNIQUE INDEX IF NOT EXISTS mesh_sla_breaches_open
    ON mesh_sla_breaches (domain, product, major, tbl) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS mesh_sla_breaches_started ON mesh_sla_breaches (started_at);
