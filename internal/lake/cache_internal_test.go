package lake

import (
	"context"
	"path/filepath"
	"testing"

	sqlcat "github.com/apache/iceberg-go/catalog/sql"

	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
)

// A Load that read the catalog before a commit of this process finishes
// must not put its older metadata back in the cache: readers would then see
// the previous snapshot (or schema) until the next publish.
func TestStaleLoadDoesNotReplaceNewerMetadata(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := registry.OpenSQLite(filepath.Join(dir, "mesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := Open(ctx, db, sqlcat.SQLite, filepath.Join(dir, "warehouse"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	id := Ident{Domain: "hr", Product: "staff", Table: "people"}
	if _, err := l.Create(ctx, id, &schema.Table{Columns: []schema.Column{
		{Name: "id", Type: schema.Type{Kind: schema.Long}, Required: true},
	}}); err != nil {
		t.Fatal(err)
	}
	stale, err := l.Load(ctx, id) // a reader's Load, slow to finish
	if err != nil {
		t.Fatal(err)
	}
	newer, err := l.Evolve(ctx, id, schema.Evolution{Added: []schema.Column{{Name: "name", Type: schema.Type{Kind: schema.String}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.remember(id, stale) // ... finishes after the change was committed

	got, err := l.Cached(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.MetadataLocation() != newer.MetadataLocation() {
		t.Errorf("Cached metadata = %s, want the newer %s", got.MetadataLocation(), newer.MetadataLocation())
	}

	// Another table under the same name (dropped and created again) replaces it.
	if err := l.cat.DropTable(ctx, id.iceberg()); err != nil {
		t.Fatal(err)
	}
	again, err := l.cat.CreateTable(ctx, id.iceberg(), newer.Schema())
	if err != nil {
		t.Fatal(err)
	}
	l.remember(id, again)
	if got, _ := l.Cached(ctx, id); got.MetadataLocation() != again.MetadataLocation() {
		t.Errorf("Cached metadata after re-create = %s, want %s", got.MetadataLocation(), again.MetadataLocation())
	}
}
