// Package lineage keeps the mesh's lineage graph: which products, tables
// and columns (and datasets outside the mesh) feed which.
//
// Edges come from two sources. The specs: an ODPS input port makes the
// product owning its contract upstream of the reader, every table of that
// contract upstream of every table of the reader, and an ODCS
// transformSourceObjects entry naming an input column gives a column edge;
// these edges are rebuilt on every apply. And OpenLineage: pipelines outside
// Meshwork (Airflow, Spark, dbt) post RunEvents; a COMPLETE event adds an
// edge from each input to each output, with the columnLineage facet's column
// edges. Publishing emits an OpenLineage event of its own (RunEvent).
//
// The graph lives in SQLite (mesh.db, tables mesh_lineage_*) and, for
// traversals, in memory: it is small next to the data it describes.
// Traversals are unfiltered (Walk) or filtered for a principal (Query):
// nodes of products the principal may not read are hidden and counted.
package lineage
