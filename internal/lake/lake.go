package lake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/schema"
)

// Ident names a mesh table.
type Ident struct{ Domain, Product, Table string }

func (id Ident) String() string { return id.Domain + "." + id.Product + "." + id.Table }

func (id Ident) iceberg() table.Identifier { return table.Identifier{id.Domain, id.Product, id.Table} }

// Lake is the Iceberg catalog and warehouse. Safe for concurrent use.
type Lake struct {
	cat       *sqlcat.Catalog
	warehouse string // absolute path

	mu     sync.Mutex
	tables map[Ident]*table.Table // last loaded metadata, refreshed on commit
	plans  map[planKey]*Plan      // scan plans by snapshot, which never change
}

// Open opens the catalog stored in db (SQLite or PostgreSQL through
// database/sql) with its warehouse at dir, creating the catalog tables if needed.
func Open(ctx context.Context, db *sql.DB, dialect sqlcat.SupportedDialect, dir string) (*Lake, error) {
	const op = "lake.Open"
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "bad warehouse path")
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "create warehouse")
	}
	cat, err := sqlcat.NewCatalog("mesh", db, dialect, iceberg.Properties{
		"warehouse": "file://" + abs,
	})
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "open iceberg catalog")
	}
	return &Lake{cat: cat, warehouse: abs, tables: map[Ident]*table.Table{}, plans: map[planKey]*Plan{}}, nil
}

// Warehouse returns the warehouse's absolute path.
func (l *Lake) Warehouse() string { return l.warehouse }

// Location returns the directory of a table's files.
func (l *Lake) Location(id Ident) string {
	return filepath.Join(l.warehouse, id.Domain, id.Product, id.Table)
}

// Create creates the table with t's schema and partitioning. It assigns
// field ids to t's columns. Creating a table that exists is a Conflict.
func (l *Lake) Create(ctx context.Context, id Ident, t *schema.Table) (*table.Table, error) {
	const op = "lake.Create"
	for _, ns := range []table.Identifier{{id.Domain}, {id.Domain, id.Product}} {
		if err := l.cat.CreateNamespace(ctx, ns, nil); err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
			return nil, errs.Wrap(errs.Internal, op, err, "create namespace %s", strings.Join(ns, "."))
		}
	}
	sch := t.Iceberg(0)
	spec, err := t.PartitionSpec()
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, err, "table %s: %v", id, err)
	}
	tbl, err := l.cat.CreateTable(ctx, id.iceberg(), sch,
		catalog.WithLocation("file://"+l.Location(id)),
		catalog.WithPartitionSpec(&spec),
		catalog.WithProperties(iceberg.Properties{
			"format-version":                  "2",
			"write.parquet.compression-codec": "snappy",
			"meshwork.table":                  id.String(),
		}))
	if err != nil {
		if errors.Is(err, catalog.ErrTableAlreadyExists) {
			return nil, errs.Wrap(errs.Conflict, op, err, "table %s already exists", id)
		}
		return nil, errs.Wrap(errs.Internal, op, err, "create table %s", id)
	}
	l.remember(id, tbl)
	return tbl, nil
}

// Load returns the table's current metadata.
func (l *Lake) Load(ctx context.Context, id Ident) (*table.Table, error) {
	const op = "lake.Load"
	tbl, err := l.cat.LoadTable(ctx, id.iceberg())
	if err != nil {
		if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
			return nil, errs.Wrap(errs.NotFound, op, err, "table %s does not exist", id)
		}
		return nil, errs.Wrap(errs.Internal, op, err, "load table %s", id)
	}
	l.remember(id, tbl)
	return tbl, nil
}

// Cached returns the metadata last loaded or committed by this process, or
// loads it. Metadata of a table only changes through this Lake in a single
// server, so readers use it without a catalog round trip.
func (l *Lake) Cached(ctx context.Context, id Ident) (*table.Table, error) {
	l.mu.Lock()
	tbl := l.tables[id]
	l.mu.Unlock()
	if tbl != nil {
		return tbl, nil
	}
	return l.Load(ctx, id)
}

// remember caches tbl as the table's metadata, unless the cache already
// holds a later version of the same table: a Load that read the catalog
// before a commit of this process must not put the older metadata back.
func (l *Lake) remember(id Ident, tbl *table.Table) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old := l.tables[id]; old != nil && old.Metadata().TableUUID() == tbl.Metadata().TableUUID() {
		ov, ok1 := metadataVersion(old.MetadataLocation())
		nv, ok2 := metadataVersion(tbl.MetadataLocation())
		if ok1 && ok2 && nv < ov {
			return
		}
	}
	l.tables[id] = tbl
}

// metadataVersion reads the version of a metadata file named as Iceberg
// names them: NNNNN-<uuid>.metadata.json.
func metadataVersion(location string) (int, bool) {
	base := location[strings.LastIndexByte(location, '/')+1:]
	v, _, ok := strings.Cut(base, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// Drop removes a table from the catalog (its files stay; used to undo a
// failed apply).
func (l *Lake) Drop(ctx context.Context, id Ident) error {
	l.mu.Lock()
	delete(l.tables, id)
	l.mu.Unlock()
	if err := l.cat.DropTable(ctx, id.iceberg()); err != nil && !errors.Is(err, catalog.ErrNoSuchTable) {
		return errs.Wrap(errs.Internal, "lake.Drop", err, "drop %s", id)
	}
	return nil
}

// Close releases the catalog.
func (l *Lake) Close() error { return l.cat.Close() }

// fileURI turns a local path into the URI stored in Iceberg metadata.
func fileURI(path string) string { return "file://" + path }

// LocalPath turns a file URI from Iceberg metadata into a local path, refusing
// anything outside the warehouse.
func (l *Lake) LocalPath(uri string) (string, error) {
	p := strings.TrimPrefix(uri, "file://")
	p = filepath.Clean(p)
	if !strings.HasPrefix(p, l.warehouse+string(filepath.Separator)) {
		return "", fmt.Errorf("data file %q is outside the warehouse", uri)
	}
	return p, nil
}
