package registry

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // the embedded store

	"github.com/meshwork/meshwork/internal/errs"
)

//go:embed schema.sql
var schemaSQL string

//go:embed tables.sql
var tablesSQL string

// OpenSQLite opens (creating if needed) the SQLite database at path with WAL
// and a busy timeout on every pooled connection, as the registry and the
// Iceberg catalog both need.
func OpenSQLite(path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "registry.OpenSQLite", err, "bad database path")
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+abs+"?"+q.Encode())
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "registry.OpenSQLite", err, "open %s", path)
	}
	db.SetMaxOpenConns(8)
	// As many idle as open: with database/sql's default of 2, concurrent
	// readers close and reopen SQLite connections on every burst.
	db.SetMaxIdleConns(8)
	return db, nil
}

// Registry is the metadata store. Safe for concurrent use.
//
// Every write transaction bumps gen once it has ended, so that the cached
// TableSet (cache.go) older than gen is reloaded on its next use.
type Registry struct {
	db *sql.DB

	gen    atomic.Uint64
	set    atomic.Pointer[TableSet]
	loadMu sync.Mutex // one TableSet load at a time
}

// Open prepares the registry tables in db.
func Open(ctx context.Context, db *sql.DB) (*Registry, error) {
	if _, err := db.ExecContext(ctx, schemaSQL); err != nil {
		return nil, errs.Wrap(errs.Internal, "registry.Open", err, "create registry tables")
	}
	r := &Registry{db: db}
	if err := r.inTx(ctx, func(tx *sql.Tx) error { return migrate(ctx, tx) }); err != nil {
		return nil, errs.Wrap(errs.Internal, "registry.Open", err, "upgrade registry tables")
	}
	return r, nil
}

// migrate brings a registry written by an earlier release to the current
// layout: contract versions learn their major and who applied them, and
// tables are keyed by major (a new major's tables live beside the old ones).
func migrate(ctx context.Context, tx *sql.Tx) error {
	cols, err := columns(ctx, tx, "mesh_contracts")
	if err != nil {
		return err
	}
	if !cols["major"] {
		for _, q := range []string{
			`ALTER TABLE mesh_contracts ADD COLUMN major INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE mesh_contracts ADD COLUMN applied_by TEXT NOT NULL DEFAULT ''`,
			`UPDATE mesh_contracts SET major = CAST(substr(version, 1, instr(version || '.', '.') - 1) AS INTEGER)`,
			// Statuses were stored as written; an unknown one was live data.
			`UPDATE mesh_contracts SET status = CASE lower(trim(status))
				WHEN 'proposed' THEN 'proposed' WHEN 'draft' THEN 'draft' WHEN 'deprecated' THEN 'deprecated'
				WHEN 'retired' THEN 'retired' ELSE 'active' END`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("upgrade mesh_contracts: %w", err)
			}
		}
	}
	cols, err = columns(ctx, tx, "mesh_tables")
	if err != nil {
		return err
	}
	if len(cols) > 0 && !cols["major"] {
		for _, q := range []string{
			`ALTER TABLE mesh_tables RENAME TO mesh_tables_v1`,
			tablesSQL,
			`INSERT INTO mesh_tables (domain, product, major, name, namespace, contract_id, contract_version, status, def, created_at, updated_at)
			 SELECT t.domain, t.product, CAST(substr(t.contract_version, 1, instr(t.contract_version || '.', '.') - 1) AS INTEGER),
			        t.name, t.product, t.contract_id, t.contract_version, COALESCE(c.status, 'active'), t.def, t.created_at, t.updated_at
			 FROM mesh_tables_v1 t LEFT JOIN mesh_contracts c ON c.id = t.contract_id AND c.version = t.contract_version`,
			`DROP TABLE mesh_tables_v1`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("upgrade mesh_tables: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, tablesSQL); err != nil {
		return fmt.Errorf("create mesh_tables: %w", err)
	}
	return nil
}

// columns returns the column names of a table (none if it does not exist).
func columns(ctx context.Context, tx *sql.Tx, table string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// inTx runs fn in a transaction, committing when it returns nil.
func (r *Registry) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	// After the commit (or rollback), never before: a TableSet loaded while
	// the transaction ran is then stale at once.
	defer r.Invalidate()
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
