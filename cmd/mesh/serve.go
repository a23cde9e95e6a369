package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/pgwire"
	"github.com/meshwork/meshwork/internal/platform"
)

// demoTokenFile keeps the demo's tokens in the data directory, readable by
// its owner only, so that a restarted demo can still be used.
const demoTokenFile = "demo-tokens.txt"

func demoTokens(ctx context.Context, p *platform.Platform, dir string, stderr io.Writer) error {
	ts, err := demo.Tokens(ctx, p.Access)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := demo.WriteTokens(&b, ts); err != nil {
		return err
	}
	path := filepath.Join(dir, demoTokenFile)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write the demo tokens: %w", err)
	}
	fmt.Fprintf(stderr, "\nDemo tokens (also in %s). Use one with: export MESH_TOKEN=<token>\n\n%s\n", path, b.String())
	return nil
}

func cmdServe(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	o := platform.Defaults("mesh-data")
	addr := fs.String("addr", "127.0.0.1:8080", "address of the REST API")
	fs.StringVar(&o.Data, "data", o.Data, "data directory (registry, catalog and warehouse)")
	withDemo := fs.Bool("demo", false, "seed the demo mesh on an empty data directory")
	scale := fs.Float64("demo-scale", 0.1, "TPC-H scale factor of the demo data (1 = 6M lineitem rows)")
	fs.StringVar(&o.MemoryLimit, "memory-limit", o.MemoryLimit, "DuckDB memory limit")
	fs.IntVar(&o.Threads, "threads", 0, "DuckDB threads (0: all cores)")
	fs.DurationVar(&o.QueryTimeout, "query-timeout", o.QueryTimeout, "longest a query may run")
	fs.Int64Var(&o.MaxUpload, "max-upload", o.MaxUpload, "largest publish upload, in bytes")
	fs.Int64Var(&o.MaxRows, "max-rows", o.MaxRows, "most rows a query returns")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.PolicyDir, "policy-dir", "", "Rego policy bundle directory (default: the embedded bundle)")
	fs.StringVar(&o.OIDC.Issuer, "oidc-issuer", "", "accept JWTs from this OpenID Connect issuer")
	fs.StringVar(&o.OIDC.Audience, "oidc-audience", "", "the audience OIDC tokens must carry")
	fs.StringVar(&o.OIDC.PrincipalClaim, "oidc-principal-claim", "sub", "the claim that names the principal")
	fs.StringVar(&o.OIDC.GroupsClaim, "oidc-groups-claim", "groups", "the claim that lists the principal's groups")
	fs.DurationVar(&o.OIDC.ClockSkew, "oidc-clock-skew", time.Minute, "clock skew allowed on OIDC token times")
	fs.DurationVar(&o.FreshnessInterval, "freshness-interval", o.FreshnessInterval, "how often every table's freshness SLA is checked (0: never)")
	metricsAddr := fs.String("metrics-addr", "", `address of an unauthenticated Prometheus /metrics listener, for loopback or an internal network ("": none; admins can always scrape /metrics on --addr)`)
	maintain := fs.Duration("maintenance-interval", time.Hour, "how often retention is enforced (0: never)")
	pgAddr := fs.String("pg-addr", "", `address of the PostgreSQL wire protocol (default 127.0.0.1:15432 with --demo, else off; "" turns it off)`)
	var pgc platform.PGWireConfig
	fs.StringVar(&pgc.TLSCert, "pg-tls-cert", "", "TLS certificate (PEM) of the PostgreSQL wire protocol")
	fs.StringVar(&pgc.TLSKey, "pg-tls-key", "", "TLS key (PEM) of the PostgreSQL wire protocol")
	fs.IntVar(&pgc.MaxConns, "pg-max-conns", 64, "most concurrent PostgreSQL wire-protocol connections")
	fs.StringVar(&o.OpenLineageURL, "openlineage-url", "", "send an OpenLineage run event for every publish to this http(s) URL (\"\": off)")
	fs.BoolVar(&o.WebhookAllowPrivate, "webhook-allow-private", false, "let webhooks and OpenLineage deliveries reach loopback and private addresses (on with --demo)")
	fs.StringVar(&o.EventSource, "event-source", "", "the CloudEvents source prefix of webhook events, e.g. meshwork://mesh.example.com")
	fs.BoolVar(&o.NoPortal, "no-portal", false, "serve the API alone, without the web portal at /")
	fs.StringVar(&o.PortalOIDC.ClientID, "portal-oidc-client-id", "", "OIDC client id of the portal's sign-in (with --oidc-issuer; usually the --oidc-audience)")
	fs.StringVar(&o.PortalOIDC.RedirectURL, "portal-oidc-redirect", "", "the portal's OIDC callback URL, e.g. https://mesh.example.com/signin/oidc/callback")
	fs.BoolVar(&o.PortalSecure, "portal-secure-cookie", false, "mark the portal's session cookie Secure (set when TLS terminates in front of mesh)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if o.PortalOIDC.ClientID != "" {
		o.PortalOIDC.Issuer = o.OIDC.Issuer
		o.PortalOIDC.ClientSecret = getenv("MESH_PORTAL_OIDC_CLIENT_SECRET")
	}
	pgSet, privSet := false, false
	fs.Visit(func(f *flag.Flag) {
		pgSet = pgSet || f.Name == "pg-addr"
		privSet = privSet || f.Name == "webhook-allow-private"
	})
	if !privSet && *withDemo {
		o.WebhookAllowPrivate = true // a demo's receivers run on the same machine
	}
	if !pgSet && *withDemo {
		*pgAddr = "127.0.0.1:15432"
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	o.Logger = log
	o.AdminToken = getenv("MESH_ADMIN_TOKEN")
	p, err := platform.Open(ctx, o)
	if err != nil {
		return err
	}
	defer p.Close()
	if p.AdminSecret != "" {
		// Shown once: only its hash is kept.
		fmt.Fprintf(stderr, "\nThe admin token (shown only now; keep it safe):\n\n    %s\n\n", p.AdminSecret)
	}
	if *withDemo {
		existing, err := p.Registry.Products(ctx)
		if err != nil {
			return err
		}
		if len(existing) == 0 {
			log.Info("seeding the demo mesh", "scale", *scale)
			if err := demo.Seed(platform.AsAdmin(ctx), p.Applier, p.Publisher, *scale, log); err != nil {
				return err
			}
			if err := demoTokens(ctx, p, o.Data, stderr); err != nil {
				return err
			}
		} else {
			log.Info("the data directory already holds products: not seeding the demo",
				"tokens", filepath.Join(o.Data, demoTokenFile))
		}
	}
	if *maintain > 0 {
		mctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Maintain(mctx, *maintain)
		}()
		defer func() { stop(); <-done }() // before p.Close
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	log.Info("meshwork is serving", "url", "http://"+ln.Addr().String(), "data", o.Data)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if *metricsAddr != "" {
		_, stop, err := serveMetrics(*metricsAddr, p.Metrics.Handler(), log, errc)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	if *pgAddr != "" {
		pgc.Metadata = p.NewPGCatalog()
		pg, err := p.PGWire(pgc)
		if err != nil {
			ln.Close()
			return err
		}
		pln, err := net.Listen("tcp", *pgAddr)
		if err != nil {
			ln.Close()
			return err
		}
		log.Info("the PostgreSQL wire protocol is serving", "addr", pln.Addr().String(), "tls", pgc.TLSCert != "")
		go func() {
			if err := pg.Serve(pln); !errors.Is(err, pgwire.ErrServerClosed) {
				errc <- err
			}
		}()
		defer pg.Close() // before p.Close: cancels its queries and waits for its connections
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
