-- The audit log. Rows are only ever inserted, by the log's writer, in seq
-- order; each row's hash covers its fields and the previous row's hash.
CREATE TABLE IF NOT EXISTS mesh_audit (
    seq       INTEGER PRIMARY KEY,
    time      TEXT NOT NULL,
    principal TEXT NOT NULL,
    action    TEXT NOT NULL,
    resource  TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev      TEXT NOT NULL,
    hash      TEXT NOT NULL
);
-- The chain head: the seq and hash of the newest record, updated in the same
-- transaction as every batch, so that removing the newest records (which
-- leaves a valid but shorter chain) is detected too.
CREATE TABLE IF NOT EXISTS mesh_audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mesh_audit_action_time ON mesh_audit (action, time);
