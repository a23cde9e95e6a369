package registry

import (
	"context"
	"testing"
)

// TestTableSetSeesChanges: the cached TableSet is the same until the
// registry writes, and a write is seen by the next call.
func TestTableSetSeesChanges(t *testing.T) {
	ctx := context.Background()
	r := open(t)
	s1, err := r.TableSet(ctx)
	if err != nil || len(s1.Tables) != 0 {
		t.Fatalf("TableSet = %+v, %v; want empty", s1, err)
	}
	if s2, err := r.TableSet(ctx); err != nil || s2 != s1 {
		t.Errorf("TableSet without a change = %p, %v; want the cached %p", s2, err, s1)
	}
	if err := r.Apply(ctx, salesChange("1.0.0")); err != nil {
		t.Fatal(err)
	}
	s3, err := r.TableSet(ctx)
	if err != nil || len(s3.Tables) != 1 || s3.Tables[0].Name != "orders" {
		t.Fatalf("TableSet after Apply = %+v, %v; want table orders", s3, err)
	}
	// A change made elsewhere is seen after Invalidate.
	if _, err := r.db.ExecContext(ctx, `UPDATE mesh_tables SET status = 'retired'`); err != nil {
		t.Fatal(err)
	}
	if s4, _ := r.TableSet(ctx); s4 != s3 {
		t.Errorf("TableSet reloaded without a change of the registry")
	}
	r.Invalidate()
	if s5, err := r.TableSet(ctx); err != nil || s5.Tables[0].Status != "retired" {
		t.Errorf("TableSet after Invalidate = %+v, %v; want the retired table", s5, err)
	}
}
