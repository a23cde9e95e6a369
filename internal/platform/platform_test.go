package platform

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenClearsTheSpoolAndReopens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p, err := Open(ctx, Defaults(dir))
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	leftover := filepath.Join(dir, "spool", "crashed-run.csv")
	if err := os.WriteFile(leftover, []byte("a,b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	p, err = Open(ctx, Defaults(dir))
	if err != nil {
		t.Fatalf("reopen = %v", err)
	}
	defer p.Close()
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("spool file after reopen: %v, want it removed", err)
	}
	for _, sub := range []string{"mesh.db", "warehouse", "spool"} {
		if _, err := os.Stat(filepath.Join(dir, sub)); err != nil {
			t.Errorf("%s: %v", sub, err)
		}
	}
}
