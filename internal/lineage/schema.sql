-- Lineage (internal/lineage): a graph of mesh products, tables and columns
-- and of datasets outside the mesh. Mesh node ids are their mesh names
-- (domain.product[.table[.column]]); an external dataset is namespace/name
-- and one of its fields namespace/name#field. Edges are kept per source: the
-- spec edges of a product (origin = domain.product) are rebuilt on every
-- apply; an OpenLineage edge (origin = job namespace/name) is refreshed by
-- every COMPLETE event that reports it.
CREATE TABLE IF NOT EXISTS mesh_lineage_edges (
    src       TEXT NOT NULL,
    dst       TEXT NOT NULL,
    source    TEXT NOT NULL, -- inputPort or openlineage
    origin    TEXT NOT NULL, -- the product whose spec says so, or the job
    job       TEXT NOT NULL DEFAULT '',
    run_id    TEXT NOT NULL DEFAULT '',
    last_seen TEXT NOT NULL,
    PRIMARY KEY (src, dst, source, origin)
);
CREATE INDEX IF NOT EXISTS mesh_lineage_edges_origin ON mesh_lineage_edges (source, origin);
-- External datasets (and their fields): the id alone cannot be split back
-- into namespace and name, both may hold slashes.
CREATE TABLE IF NOT EXISTS mesh_lineage_datasets (
    id        TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    name      TEXT NOT NULL,
    field     TEXT NOT NULL DEFAULT ''
);
-- The input ports each product declares (contract ids), so that applying
-- the product that owns a contract rebuilds the edges of its readers, also
-- of those applied before it.
CREATE TABLE IF NOT EXISTS mesh_lineage_ports (
    origin      TEXT NOT NULL, -- domain.product
    contract_id TEXT NOT NULL,
    PRIMARY KEY (origin, contract_id)
);
CREATE INDEX IF NOT EXISTS mesh_lineage_ports_contract ON mesh_lineage_ports (contract_id);
