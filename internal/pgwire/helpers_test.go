package pgwire_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/pgwire"
	"github.com/meshwork/meshwork/internal/platform"
)

// shared is one real platform seeded with the demo mesh at a small scale,
// shared by the package's tests (seeding is the slow part); each test
// starts its own wire-protocol server over it.
var shared struct {
	p      *platform.Platform
	tokens map[string]string // principal -> secret
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pgwire-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	cfg := platform.Defaults(dir)
	cfg.MemoryLimit = "1GB"
	cfg.Threads = 2
	cfg.QueryTimeout = 30 * time.Second
	p, err := platform.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "platform.Open:", err)
		return 1
	}
	defer p.Close()
	if err := demo.Seed(platform.AsAdmin(ctx), p.Applier, p.Publisher, 0.01, slog.New(slog.DiscardHandler)); err != nil {
		fmt.Fprintln(os.Stderr, "demo.Seed:", err)
		return 1
	}
	ts, err := demo.Tokens(ctx, p.Access)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo.Tokens:", err)
		return 1
	}
	shared.p = p
	shared.tokens = map[string]string{}
	for _, t := range ts {
		shared.tokens[t.Principal] = t.Secret
	}
	_, secret, err := p.Access.CreateToken(ctx, "test", "admin", nil, nil, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "CreateToken:", err)
		return 1
	}
	shared.tokens["admin"] = secret
	return m.Run()
}

// server is a wire-protocol server under test.
type server struct {
	srv  *pgwire.Server
	addr string
	done chan error
}

// startServer starts a server over the shared platform; opts adjust its config.
func startServer(t testing.TB, opts ...func(*pgwire.Config)) *server {
	t.Helper()
	p := shared.p
	cfg := pgwire.Config{Engine: p.Engine, Auth: p.Access, Audit: p.Audit, MaxRows: 1_000_000,
		Logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := pgwire.New(cfg)
	if err != nil {
		t.Fatalf("pgwire.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{srv: srv, done: make(chan error, 1)}
	s.addr = ln.Addr().String()
	go func() { s.done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-s.done; err != pgwire.ErrServerClosed {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	return s
}

func (s *server) hostPort() (string, string) {
	h, p, _ := net.SplitHostPort(s.addr)
	return h, p
}

// dsn is a libpq connection string for user with its demo token.
func (s *server) dsn(user string, extra ...string) string {
	h, p := s.hostPort()
	return fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=mesh sslmode=disable %s", h, p, user, shared.tokens[user], strings.Join(extra, " "))
}

func (s *server) connect(t testing.TB, user string, extra ...string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.dsn(user, extra...))
	if err != nil {
		t.Fatalf("pgx.Connect as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// asPrincipal is ctx acting as a demo principal, for the engine directly.
func asPrincipal(t testing.TB, name string) context.Context {
	t.Helper()
	p, err := shared.p.Access.Authenticate(context.Background(), shared.tokens[name])
	if err != nil {
		t.Fatalf("Authenticate %s: %v", name, err)
	}
	return access.WithPrincipal(context.Background(), p)
}
