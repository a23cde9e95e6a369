-- The search index (internal/search). Rebuilt from the registry by Sync, so
-- nothing here is the only copy of anything.
CREATE VIRTUAL TABLE IF NOT EXISTS mesh_search_fts USING fts5(
    name,        -- the document's own name: product, table or column
    path,        -- the names above it: domain, product, table
    business,    -- business names
    meta,        -- tags, classification, owners (team names and member usernames)
    description, -- descriptions
    tokenize = 'porter unicode61 remove_diacritics 2',
    -- Prefix indexes for prefixes of 2 to 8 characters: every term is
    -- matched as a prefix, and without them a prefix term merges the
    -- doclists of every term it expands to on each query.
    prefix = '2 3 4 5 6 7 8'
);
-- One row per FTS row (same rowid): what results are filtered and ordered on.
-- Kept narrow (the texts are in mesh_search_fts), as every hit is looked up
-- here when filters or visibility apply.
CREATE TABLE IF NOT EXISTS mesh_search_docs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,    -- product, table, column
    kind_rank     INTEGER NOT NULL, -- 0 product, 1 table, 2 column: the order at equal score
    domain        TEXT NOT NULL,
    product       TEXT NOT NULL,
    tbl           TEXT NOT NULL DEFAULT '',
    col           TEXT NOT NULL DEFAULT '',
    pkey          TEXT NOT NULL,    -- domain.product, for the visibility check
    name          TEXT NOT NULL,    -- lower case, for the exact-name boost
    status        TEXT NOT NULL DEFAULT '',
    tags          TEXT NOT NULL DEFAULT '', -- '|a|b|', lower case: checked on each hit of a text search
    classes       TEXT NOT NULL DEFAULT ''  -- '|pii|', lower case
);
CREATE INDEX IF NOT EXISTS mesh_search_docs_product ON mesh_search_docs (domain, product);
CREATE INDEX IF NOT EXISTS mesh_search_docs_pkey ON mesh_search_docs (pkey);
CREATE INDEX IF NOT EXISTS mesh_search_docs_domain ON mesh_search_docs (domain); -- in rowid order: a domain's id range
CREATE INDEX IF NOT EXISTS mesh_search_docs_browse ON mesh_search_docs (kind_rank, domain, product, tbl, col);
-- Multi-valued filter attributes again, one row each, for browsing by tag or
-- classification: attr is 'tag' or 'class'; values are lower case.
CREATE TABLE IF NOT EXISTS mesh_search_attrs (
    attr  TEXT NOT NULL,
    value TEXT NOT NULL,
    doc   INTEGER NOT NULL,
    PRIMARY KEY (attr, value, doc)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mesh_search_attrs_doc ON mesh_search_attrs (doc);
-- Per product: the fingerprint of the registry rows its documents were
-- built from (source) and the hash of the documents themselves (hash).
CREATE TABLE IF NOT EXISTS mesh_search_products (
    domain  TEXT NOT NULL,
    product TEXT NOT NULL,
    source  TEXT NOT NULL,
    hash    TEXT NOT NULL,
    PRIMARY KEY (domain, product)
);
