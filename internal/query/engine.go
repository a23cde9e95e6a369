package query

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
)

// Sandbox is the configuration of the embedded DuckDB. Every directory DuckDB
// may touch is listed; everything else on the machine is off limits.
type Sandbox struct {
	Warehouse   string // Iceberg table files: read by queries, written by publishes
	Spool       string // uploads being published
	Temp        string // DuckDB's spill directory
	MemoryLimit string // e.g. "4GB"
	Threads     int    // 0: DuckDB's default (all cores)
}

// Schemas the platform owns inside DuckDB: governed views and staged data.
// User SQL can name neither (the guard only lets domain.product.table through).
const (
	viewSchema  = "__mesh"
	StageSchema = "__stage"
)

// OpenDuckDB starts the embedded DuckDB with its configuration locked: no
// extension installs or loads, no file access outside the sandbox's
// directories, limits on memory and threads. The returned pool's connections
// all share the one database, so views created on one are visible to all.
func OpenDuckDB(ctx context.Context, sb Sandbox) (*sql.DB, error) {
	const op = "query.OpenDuckDB"
	var dirs []string
	for _, d := range []string{sb.Warehouse, sb.Spool, sb.Temp} {
		if d == "" {
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "bad sandbox directory")
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "create sandbox directory")
		}
		dirs = append(dirs, lake.Literal(abs+string(filepath.Separator)))
	}
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "start duckdb")
	}
	db := sql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, errs.Wrap(errs.Internal, op, err, "connect duckdb")
	}
	defer conn.Close()
	stmts := []string{
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		// Data files never change once written, so their footers can be cached.
		"SET parquet_metadata_cache = true",
		fmt.Sprintf("CREATE SCHEMA IF NOT EXISTS %s", viewSchema),
		fmt.Sprintf("CREATE SCHEMA IF NOT EXISTS %s", StageSchema),
	}
	if sb.Temp != "" {
		abs, _ := filepath.Abs(sb.Temp)
		stmts = append(stmts, "SET temp_directory = "+lake.Literal(abs))
	}
	if sb.MemoryLimit != "" {
		stmts = append(stmts, "SET memory_limit = "+lake.Literal(sb.MemoryLimit))
	}
	if sb.Threads > 0 {
		stmts = append(stmts, fmt.Sprintf("SET threads = %d", sb.Threads))
	}
	stmts = append(stmts,
		"SET allowed_directories = ["+strings.Join(dirs, ", ")+"]",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	)
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, errs.Wrap(errs.Internal, op, err, "configure duckdb (%s)", s)
		}
	}
	return db, nil
}
