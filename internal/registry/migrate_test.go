package registry

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The layout of a registry written before contracts had majors.
const layoutV1 = `
CREATE TABLE mesh_domains (name TEXT PRIMARY KEY, team TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE mesh_products (domain TEXT NOT NULL REFERENCES mesh_domains(name), name TEXT NOT NULL, spec_id TEXT NOT NULL,
    status TEXT NOT NULL, version TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '', team TEXT NOT NULL DEFAULT '',
    doc TEXT NOT NULL, hash TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (domain, name));
CREATE TABLE mesh_contracts (id TEXT NOT NULL, version TEXT NOT NULL, domain TEXT NOT NULL, product TEXT NOT NULL,
    status TEXT NOT NULL, doc TEXT NOT NULL, hash TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (id, version),
    FOREIGN KEY (domain, product) REFERENCES mesh_products(domain, name));
CREATE TABLE mesh_tables (domain TEXT NOT NULL, product TEXT NOT NULL, name TEXT NOT NULL, contract_id TEXT NOT NULL,
    contract_version TEXT NOT NULL, def TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (domain, product, name), FOREIGN KEY (domain, product) REFERENCES mesh_products(domain, name));
INSERT INTO mesh_domains VALUES ('sales', 'Sales', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z');
INSERT INTO mesh_products VALUES ('sales', 'orders', 'sales-orders', 'active', '1.0.0', '', '', '{}', 'h',
    '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z');
INSERT INTO mesh_contracts VALUES ('sales-orders-contract', '1.2.0', 'sales', 'orders', ' Released', '{}', 'h2', '2026-01-02T00:00:00.000000000Z');
INSERT INTO mesh_tables VALUES ('sales', 'orders', 'orders', 'sales-orders-contract', '1.2.0',
    '{"schema":{"columns":[{"name":"id","type":"BIGINT","required":true,"fieldId":1}]},"object":{"Name":"orders"}}',
    '2026-01-01T00:00:00.000000000Z', '2026-01-02T00:00:00.000000000Z');
`

// TestMigrateFromV1 opens a registry written before majors: its contracts
// and tables keep everything and learn their major, a status stored as
// written becomes one of ODCS's (an unknown one was live: active), and the
// tables still live in the product's namespace.
func TestMigrateFromV1(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(filepath.Join(t.TempDir(), "mesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, layoutV1); err != nil {
		t.Fatal(err)
	}
	for range 2 { // and opening it again changes nothing
		r, err := Open(ctx, db)
		if err != nil {
			t.Fatalf("Open of a v1 registry: %v", err)
		}
		c, err := r.Contract(ctx, "sales-orders-contract", "1.2.0")
		if err != nil || c.Major != 1 || c.Status != "active" || c.Hash != "h2" {
			t.Fatalf("migrated contract = %+v, %v; want major 1, active, hash h2", c, err)
		}
		tb, err := r.Resolve(ctx, "sales", "orders", "orders", nil, time.Now())
		if err != nil {
			t.Fatalf("Resolve of a migrated table: %v", err)
		}
		got := []any{tb.Major, tb.Namespace, tb.Status, tb.ContractVersion, len(tb.Def.Schema.Columns), tb.CreatedAt.Year()}
		if diff := cmp.Diff([]any{1, "orders", "active", "1.2.0", 1, 2026}, got); diff != "" {
			t.Errorf("migrated table (-want +got):\n%s", diff)
		}
	}
}
