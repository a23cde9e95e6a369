package registry

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"net/url"
	"path/filepath"

	_ "modernc.org/sqlite" // the embedded store

	"github.com/meshwork/meshwork/internal/errs"
)

//go:embed schema.sql
var schemaSQL string

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
	return db, nil
}

// Registry is the metadata store. Safe for concurrent use.
type Registry struct {
	db *sql.DB
}

// Open prepares the registry tables in db.
func Open(ctx context.Context, db *sql.DB) (*Registry, error) {
	if _, err := db.ExecContext(ctx, schemaSQL); err != nil {
		return nil, errs.Wrap(errs.Internal, "registry.Open", err, "create registry tables")
	}
	return &Registry{db: db}, nil
}

// inTx runs fn in a transaction, committing when it returns nil.
func (r *Registry) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
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
