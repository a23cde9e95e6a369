// Package platform wires Meshwork's components over one data directory: the
// registry and Iceberg catalog in SQLite (mesh.db), the warehouse, the
// sandboxed DuckDB engine, the publish pipeline, the apply planner and the
// REST API. The mesh binary and the end-to-end tests build the platform the
// same way.
package platform

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	sqlcat "github.com/apache/iceberg-go/catalog/sql"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/event"
	"github.com/meshwork/meshwork/internal/freshness"
	"github.com/meshwork/meshwork/internal/governance"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/lineage"
	"github.com/meshwork/meshwork/internal/observe"
	"github.com/meshwork/meshwork/internal/portal"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/query"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/restcatalog"
	"github.com/meshwork/meshwork/internal/search"
	"github.com/meshwork/meshwork/internal/usage"
)

// Config configures a platform.
type Config struct {
	Data         string        // data directory
	MemoryLimit  string        // DuckDB memory limit, e.g. "4GB"
	Threads      int           // DuckDB threads; 0: all cores
	QueryTimeout time.Duration // longest a query may run
	MaxUpload    int64         // largest publish upload in bytes
	MaxRows      int64         // most rows a query returns
	PolicyDir    string        // Rego policy bundle; "": the embedded default
	OIDC         access.OIDCConfig
	AdminToken   string // registered as an admin token at start (MESH_ADMIN_TOKEN); "": one is made on first start
	Logger       *slog.Logger
	// FreshnessInterval is how often every table's freshness is checked
	// (0: never on a timer).
	FreshnessInterval time.Duration
	// OpenLineageURL receives an OpenLineage run event for every publish; "": none.
	OpenLineageURL string
	// EventSource prefixes the CloudEvents source of webhook events, e.g.
	// meshwork://mesh.example.com; "": meshwork://mesh.
	EventSource string
	// WebhookAllowPrivate lets webhooks (and OpenLineage deliveries) reach
	// loopback and private addresses.
	WebhookAllowPrivate bool
	// NoPortal leaves the web UI out: Handler serves the API alone.
	NoPortal bool
	// PortalOIDC lets people sign in to the portal through an OpenID
	// Connect provider (its issuer must be OIDC.Issuer, its client id
	// OIDC.Audience); zero: tokens only.
	PortalOIDC portal.OIDCLogin
	// PortalSecure marks the portal's session cookie Secure (TLS in front).
	PortalSecure bool
}

// Defaults returns the default configuration over the data directory dir.
func Defaults(dir string) Config {
	return Config{Data: dir, MemoryLimit: "4GB", QueryTimeout: time.Minute, MaxUpload: 16 << 30, MaxRows: 1_000_000, FreshnessInterval: time.Minute}
}

// Platform is a wired Meshwork.
type Platform struct {
	Registry  *registry.Registry
	Lake      *lake.Lake
	Applier   *apply.Applier
	Publisher *publish.Publisher
	Engine    *query.Engine
	API       *httpapi.Server
	Portal    *portal.Portal // nil with NoPortal
	DuckDB    *sql.DB
	Access    *access.Store
	Audit     *audit.Log
	Gov       *governance.Governance
	Usage     *usage.Aggregator
	Search    *search.Index
	Metrics   *observe.Metrics
	Freshness *freshness.Monitor
	Lineage   *lineage.Store
	Events    *event.Bus

	// AdminSecret is the admin token made on this start: set only on a data
	// directory's first start (or when AdminToken was new), to be shown once.
	AdminSecret string

	log     *slog.Logger
	hooks   hooks
	maxRows int64
	closers []func() error
}

// Open builds the platform, creating the data directory's stores if needed.
func Open(ctx context.Context, c Config) (_ *Platform, err error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Logger = slog.New(observe.ContextHandler(c.Logger.Handler())) // request ids in Context logs
	if err := os.MkdirAll(c.Data, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	p := &Platform{log: c.Logger, maxRows: c.MaxRows}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	db, err := registry.OpenSQLite(filepath.Join(c.Data, "mesh.db"))
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, db.Close)
	if p.Registry, err = registry.Open(ctx, db); err != nil {
		return nil, err
	}
	if p.Audit, err = audit.Open(ctx, db, c.Logger); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.Audit.Close)
	if p.Access, err = access.Open(ctx, db, access.Config{OIDC: c.OIDC, Logger: c.Logger}); err != nil {
		return nil, err
	}
	secret, created, err := p.Access.EnsureAdmin(ctx, c.AdminToken)
	if err != nil {
		return nil, err
	}
	if created {
		p.Audit.Append(audit.Event{Principal: "system", Action: "token.create", Resource: "principal:admin", Outcome: audit.OK},
			map[string]any{"bootstrap": true, "fromEnvironment": c.AdminToken != ""})
		if c.AdminToken == "" {
			p.AdminSecret = secret
		}
	}
	pol, err := loadPolicy(ctx, c.PolicyDir)
	if err != nil {
		return nil, err
	}
	p.Gov = governance.New(p.Access, pol)
	hashKey, err := maskKey(filepath.Join(c.Data, "mask.key"))
	if err != nil {
		return nil, err
	}
	if p.Lake, err = lake.Open(ctx, db, sqlcat.SQLite, filepath.Join(c.Data, "warehouse")); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.Lake.Close)
	spool, err := filepath.Abs(filepath.Join(c.Data, "spool"))
	if err != nil {
		return nil, err
	}
	// Uploads left by a process that died mid-publish: nothing is in flight
	// before the platform starts, so whatever is there is garbage.
	if err := os.RemoveAll(spool); err != nil {
		return nil, fmt.Errorf("clear the spool: %w", err)
	}
	p.DuckDB, err = query.OpenDuckDB(ctx, query.Sandbox{
		Warehouse: p.Lake.Warehouse(), Spool: spool, Temp: filepath.Join(c.Data, "tmp"),
		MemoryLimit: c.MemoryLimit, Threads: c.Threads,
	})
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.DuckDB.Close)
	p.Engine, err = query.NewEngine(ctx, query.EngineConfig{DuckDB: p.DuckDB, Lake: p.Lake, Tables: p.Registry,
		Governor: p.Gov, HashKey: hashKey, Audit: p.Audit, OnDone: p.onQuery, Timeout: c.QueryTimeout, Logger: c.Logger})
	if err != nil {
		return nil, err
	}
	p.Publisher = publish.New(publish.Config{DuckDB: p.DuckDB, Lake: p.Lake, Registry: p.Registry, Guard: p.Engine.Guard(),
		Policy: p.Gov, Spool: spool, MaxBytes: c.MaxUpload, Logger: c.Logger, OnDone: p.onPublish})
	if err := p.openEvents(ctx, db, c); err != nil {
		return nil, err
	}
	if err := p.openUsage(ctx, db); err != nil {
		return nil, err
	}
	if err := p.openLineage(ctx, db, c); err != nil {
		return nil, err
	}
	p.Applier = apply.New(p.Registry, p.Lake, c.Logger, p.Gov)
	p.Applier.Notify(p.onApply)
	if err := p.openSearch(ctx, db, filepath.Join(c.Data, "mesh.db")); err != nil {
		return nil, err
	}
	if err := p.openObserve(ctx, db, c.FreshnessInterval, c.Logger); err != nil {
		return nil, err
	}
	iceberg := restcatalog.Handler(restcatalog.Config{Registry: p.Registry, Lake: p.Lake, Access: p.Access, Gov: p.Gov,
		Audit: p.Audit, Logger: c.Logger, Publisher: p.Publisher})
	p.API = httpapi.New(httpapi.Config{Registry: p.Registry, Lake: p.Lake, Applier: p.Applier, Publisher: p.Publisher,
		Engine: p.Engine, Gov: p.Gov, Audit: p.Audit, Retain: retainer{p}, Iceberg: iceberg,
		Page:      httpapi.PageSources{Usage: p.Usage, Freshness: pageFreshness{p.Freshness}, Lineage: lineagePage{p.Lineage}},
		Freshness: p.Freshness, Metrics: p.Metrics.Handler(), Observer: p.Metrics, Search: p.Search, Lineage: p.Lineage,
		Events: p.Events, AccessEvents: accessEvents{p},
		Limits: httpapi.Limits{PublishBytes: c.MaxUpload, MaxRows: c.MaxRows}, Logger: c.Logger})
	if err := p.openPortal(ctx, c); err != nil {
		return nil, err
	}
	return p, nil
}

// Close releases the platform's stores, last opened first.
func (p *Platform) Close() error {
	var first error
	for i := len(p.closers) - 1; i >= 0; i-- {
		if err := p.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	p.closers = nil
	return first
}
