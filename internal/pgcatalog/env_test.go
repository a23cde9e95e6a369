package pgcatalog_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/pgcatalog"
	"github.com/meshwork/meshwork/internal/platform"
)

// env is a real platform seeded with the demo mesh (small scale) and its
// demo principals, with the catalog the wire server uses. Seeding is the
// slow part, so the tests that need it share one, made on first use.
type env struct {
	p      *platform.Platform
	cat    *pgcatalog.Catalog
	tokens map[string]string // principal -> secret
	dir    string
}

var shared struct {
	once sync.Once
	env  *env
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if e := shared.env; e != nil {
		if err := e.p.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "platform.Close:", err)
			code = 1
		}
		os.RemoveAll(e.dir)
	}
	os.Exit(code)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	shared.once.Do(func() { shared.env, shared.err = openEnv() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.env
}

func openEnv() (*env, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "pgcatalog-test-")
	if err != nil {
		return nil, err
	}
	cfg := platform.Defaults(dir)
	cfg.MemoryLimit = "1GB"
	cfg.Threads = 2
	p, err := platform.Open(ctx, cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("platform.Open: %w", err)
	}
	fail := func(err error) (*env, error) {
		p.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	if err := demo.Seed(platform.AsAdmin(ctx), p.Applier, p.Publisher, 0.001, slog.New(slog.DiscardHandler)); err != nil {
		return fail(fmt.Errorf("demo.Seed: %w", err))
	}
	toks, err := demo.Tokens(ctx, p.Access)
	if err != nil {
		return fail(fmt.Errorf("demo.Tokens: %w", err))
	}
	e := &env{p: p, cat: p.NewPGCatalog(), tokens: map[string]string{}, dir: dir}
	for _, tk := range toks {
		e.tokens[tk.Principal] = tk.Secret
	}
	_, secret, err := p.Access.CreateToken(ctx, "test", "admin", nil, nil, 0)
	if err != nil {
		return fail(fmt.Errorf("CreateToken admin: %w", err))
	}
	e.tokens["admin"] = secret
	return e, nil
}

// as returns ctx acting as the named principal ("admin" is the platform admin).
func as(name string) context.Context {
	if name == "admin" {
		return platform.AsAdmin(context.Background())
	}
	return access.WithPrincipal(context.Background(), access.Principal{Name: name})
}
