package lineage

import (
	"context"
	"database/sql"
	_ "embed"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
)

//go:embed schema.sql
var schemaSQL string

// The sources of an edge.
const (
	SourceInputPort   = "inputPort"   // an ODPS input port (and ODCS transformSourceObjects) of the downstream product
	SourceOpenLineage = "openlineage" // a COMPLETE OpenLineage run event
)

// DefaultNamespace is the OpenLineage namespace of mesh tables.
const DefaultNamespace = "meshwork"

// Catalog is what lineage reads of the registry.
type Catalog interface {
	Products(ctx context.Context) ([]registry.Product, error)
	Product(ctx context.Context, domain, name string) (*registry.Product, error) // NotFound when absent
	Tables(ctx context.Context, domain, product string) ([]registry.Table, error)
	ContractByID(ctx context.Context, id string) (*registry.Contract, error) // nil when absent
	ContractsOf(ctx context.Context, domain, product string) ([]registry.Contract, error)
}

// Authorizer decides what a principal may do (internal/access).
type Authorizer interface {
	Can(ctx context.Context, p access.Principal, a access.Action, r access.Resource) bool
}

// Config configures a Store.
type Config struct {
	DB        *sql.DB // the platform's SQLite database (mesh.db)
	Catalog   Catalog
	Access    Authorizer
	Namespace string       // OpenLineage namespace of mesh tables; "": DefaultNamespace
	Logger    *slog.Logger // nil: discard
}

// Store is the lineage graph. The edges are few next to the data they
// describe, so the whole graph is kept in memory for traversals and
// reloaded from SQLite after each write.
type Store struct {
	db  *sql.DB
	cat Catalog
	acc Authorizer
	ns  string
	log *slog.Logger
	now func() time.Time

	mu sync.Mutex
	g  *graph // nil: reload
}

// Open creates the lineage tables if needed and returns the store.
func Open(ctx context.Context, c Config) (*Store, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	if _, err := c.DB.ExecContext(ctx, schemaSQL); err != nil {
		return nil, errs.Wrap(errs.Internal, "lineage.Open", err, "create lineage tables")
	}
	return &Store{db: c.DB, cat: c.Catalog, acc: c.Access, ns: c.Namespace, log: c.Logger.With("component", "lineage"), now: time.Now}, nil
}

// Namespace is the OpenLineage namespace of mesh tables.
func (s *Store) Namespace() string { return s.ns }

// Edge is one edge of the graph: From feeds To.
type Edge struct {
	From     string    `json:"from"`
	To       string    `json:"to"`
	Source   string    `json:"source"`
	Origin   string    `json:"-"`
	Job      string    `json:"job,omitempty"`
	RunID    string    `json:"runId,omitempty"`
	LastSeen time.Time `json:"lastSeen"`
}

// dataset is an external dataset or one of its fields.
type dataset struct {
	id, namespace, name, field string
}

// datasetID is the node id of an external dataset (field "") or field.
func datasetID(namespace, name, field string) string {
	id := namespace + "/" + name
	if field != "" {
		id += "#" + field
	}
	return id
}

// replaceSpec replaces the spec edges and input ports of the product origin.
func (s *Store) replaceSpec(ctx context.Context, origin string, ports []string, edges []Edge) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mesh_lineage_edges WHERE source = ? AND origin = ?`, SourceInputPort, origin); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mesh_lineage_ports WHERE origin = ?`, origin); err != nil {
			return err
		}
		for _, id := range ports {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO mesh_lineage_ports (origin, contract_id) VALUES (?, ?)`, origin, id); err != nil {
				return err
			}
		}
		return insertEdges(ctx, tx, edges)
	})
}

// upsert writes OpenLineage edges and the external datasets they name.
func (s *Store) upsert(ctx context.Context, edges []Edge, ds []dataset) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, d := range ds {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO mesh_lineage_datasets (id, namespace, name, field) VALUES (?, ?, ?, ?)`,
				d.id, d.namespace, d.name, d.field); err != nil {
				return err
			}
		}
		return insertEdges(ctx, tx, edges)
	})
}

func insertEdges(ctx context.Context, tx *sql.Tx, edges []Edge) error {
	if len(edges) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO mesh_lineage_edges (src, dst, source, origin, job, run_id, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (src, dst, source, origin) DO UPDATE SET job = excluded.job, run_id = excluded.run_id, last_seen = excluded.last_seen`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, e := range edges {
		if _, err := st.ExecContext(ctx, e.From, e.To, e.Source, e.Origin, e.Job, e.RunID, e.LastSeen.UTC().Format(time.RFC3339Nano)); err != nil {
			return err
		}
	}
	return nil
}

// inTx runs fn in a transaction and drops the cached graph after a commit.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return errs.Wrap(errs.Internal, "lineage.write", err, "write lineage")
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return errs.Wrap(errs.Internal, "lineage.write", err, "write lineage")
	}
	if err := tx.Commit(); err != nil {
		return errs.Wrap(errs.Internal, "lineage.write", err, "write lineage")
	}
	s.mu.Lock()
	s.g = nil
	s.mu.Unlock()
	return nil
}

// ports returns the products that declared an input port on one of ids.
func (s *Store) readers(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q := `SELECT DISTINCT origin FROM mesh_lineage_ports WHERE contract_id IN (?` + strings.Repeat(",?", len(ids)-1) + `)`
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "lineage.readers", err, "read input ports")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, errs.Wrap(errs.Internal, "lineage.readers", err, "read input ports")
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// dataset returns the external dataset (or field) with the node id, if known.
func (s *Store) dataset(ctx context.Context, id string) (*dataset, error) {
	g, err := s.graph(ctx)
	if err != nil {
		return nil, err
	}
	if d, ok := g.datasets[id]; ok {
		return &d, nil
	}
	return nil, nil
}

// graph is the whole edge set with adjacency lists of edge indexes.
type graph struct {
	ids   map[string]int32
	edges []Edge
	out   [][]int32 // by node index: edges leaving the node
	in    [][]int32 // by node index: edges entering the node
	// datasets are the external datasets and fields, by node id.
	datasets map[string]dataset
}

func (g *graph) node(id string) int32 {
	if i, ok := g.ids[id]; ok {
		return i
	}
	i := int32(len(g.out))
	g.ids[id] = i
	g.out = append(g.out, nil)
	g.in = append(g.in, nil)
	return i
}

// add appends an edge (the caller holds the graph exclusively).
func (g *graph) add(e Edge) {
	k := int32(len(g.edges))
	g.edges = append(g.edges, e)
	f, t := g.node(e.From), g.node(e.To)
	g.out[f] = append(g.out[f], k)
	g.in[t] = append(g.in[t], k)
}

// graph returns the cached graph, loading it if a write dropped it. The
// returned graph is never modified: a write makes the next call load anew.
func (s *Store) graph(ctx context.Context) (*graph, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.g != nil {
		return s.g, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT src, dst, source, origin, job, run_id, last_seen FROM mesh_lineage_edges ORDER BY src, dst, source, origin`)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "lineage.graph", err, "read lineage")
	}
	defer rows.Close()
	g := &graph{ids: map[string]int32{}}
	for rows.Next() {
		var e Edge
		var seen string
		if err := rows.Scan(&e.From, &e.To, &e.Source, &e.Origin, &e.Job, &e.RunID, &seen); err != nil {
			return nil, errs.Wrap(errs.Internal, "lineage.graph", err, "read lineage")
		}
		e.LastSeen, _ = time.Parse(time.RFC3339Nano, seen)
		g.add(e)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(errs.Internal, "lineage.graph", err, "read lineage")
	}
	if g.datasets, err = s.readDatasets(ctx); err != nil {
		return nil, err
	}
	s.g = g
	return g, nil
}

func (s *Store) readDatasets(ctx context.Context) (map[string]dataset, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, namespace, name, field FROM mesh_lineage_datasets`)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "lineage.graph", err, "read datasets")
	}
	defer rows.Close()
	out := map[string]dataset{}
	for rows.Next() {
		var d dataset
		if err := rows.Scan(&d.id, &d.namespace, &d.name, &d.field); err != nil {
			return nil, errs.Wrap(errs.Internal, "lineage.graph", err, "read datasets")
		}
		out[d.id] = d
	}
	return out, rows.Err()
}
