package pgcatalog_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/pgcatalog"
	"github.com/meshwork/meshwork/internal/platform"
)

// env is a real platform seeded with the demo mesh (small scale) and its
// demo principals, with the catalog the wire server uses.
type env struct {
	p      *platform.Platform
	cat    *pgcatalog.Catalog
	tokens map[string]string // principal -> secret
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	cfg := platform.Defaults(t.TempDir())
	cfg.MemoryLimit = "1GB"
	cfg.Threads = 2
	p, err := platform.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("platform.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("platform.Close: %v", err)
		}
	})
	if err := demo.Seed(platform.AsAdmin(ctx), p.Applier, p.Publisher, 0.001, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("demo.Seed: %v", err)
	}
	toks, err := demo.Tokens(ctx, p.Access)
	if err != nil {
		t.Fatalf("demo.Tokens: %v", err)
	}
	e := &env{p: p, cat: p.NewPGCatalog(), tokens: map[string]string{}}
	for _, tk := range toks {
		e.tokens[tk.Principal] = tk.Secret
	}
	return e
}

// as returns ctx acting as the named principal ("admin" is the platform admin).
func as(name string) context.Context {
	if name == "admin" {
		return platform.AsAdmin(context.Background())
	}
	return access.WithPrincipal(context.Background(), access.Principal{Name: name})
}
