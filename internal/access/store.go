package access

import (
	"context"
	"crypto/rand"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

//go:embed schema.sql
var schemaSQL string

// OIDCConfig configures the OIDC JWT verifier. Issuer empty: OIDC off.
type OIDCConfig struct {
	Issuer         string        // e.g. https://id.example.com; discovery at Issuer/.well-known/openid-configuration
	Audience       string        // required "aud"
	PrincipalClaim string        // default "sub" (e.g. "email")
	GroupsClaim    string        // default "groups"; string or array of strings
	AttrClaims     []string      // claims copied into Principal.Attrs (string or array of strings)
	ClockSkew      time.Duration // leeway for exp/nbf/iat; default 1 minute
}

// Config configures a Store.
type Config struct {
	OIDC   OIDCConfig
	Logger *slog.Logger
	Now    func() time.Time // tests; default time.Now
}

// Store keeps principals, tokens, grants and access requests. Safe for concurrent use.
//
// Authorize runs for every table of every query, so it never reads the
// database: it evaluates an in-memory snapshot of all grants. Every change
// the Store makes bumps gen; a snapshot older than gen is reloaded on the
// next Authorize. Changes made behind the Store's back need Invalidate.
type Store struct {
	db   *sql.DB
	log  *slog.Logger
	now  func() time.Time
	oidc *oidcAuth // nil: OIDC off

	gen    atomic.Uint64
	snap   atomic.Pointer[snapshot]
	loadMu sync.Mutex // one snapshot load at a time
	tokens tokenCache // API tokens by secret hash, at generation gen
}

// Open creates the tables it needs in db (SQLite) and, when OIDC is configured, fetches the issuer's discovery document.
func Open(ctx context.Context, db *sql.DB, c Config) (*Store, error) {
	const op = "access.Open"
	s := &Store{db: db, log: c.Logger, now: c.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "access")
	if s.now == nil {
		s.now = time.Now
	}
	if _, err := db.ExecContext(ctx, schemaSQL); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "create access tables")
	}
	if c.OIDC.Issuer != "" {
		a, err := newOIDC(ctx, c.OIDC, s.log)
		if err != nil {
			return nil, err
		}
		s.oidc = a
	}
	// Load the grants now, so that a broken database shows at start and the
	// first query does not pay for the load.
	if _, err := s.snapshot(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Invalidate makes the next Authorize reload the grants from the database,
// and the next Authenticate of an API token read it again.
// The Store invalidates itself after its own changes; call this after
// changing the grant table some other way (another process, a restore).
func (s *Store) Invalidate() { s.gen.Add(1) }

// changed records a committed change to the grants.
func (s *Store) changed() { s.gen.Add(1) }

// clock is the current time as it reads back from the database: UTC, no monotonic reading.
func (s *Store) clock() time.Time { return s.now().UTC().Round(0) }

// timeFormat is how times are stored: fixed width in UTC, so that the text
// sorts as the time does (same as the registry).
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// nullTime is t for a nullable column.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func parseNullTime(ns sql.NullString) (*time.Time, error) {
	if !ns.Valid {
		return nil, nil
	}
	t, err := parseTime(ns.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// expired reports whether an optional expiry has passed at now (an expiry is exclusive).
func expired(exp *time.Time, now time.Time) bool { return exp != nil && !now.Before(*exp) }

// newID is prefix and 128 random bits in hex.
func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return prefix + hex.EncodeToString(b[:])
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in a transaction (BEGIN IMMEDIATE with the platform's
// SQLite settings), committing when it returns nil.
func (s *Store) inTx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	// Once the transaction has ended, never before: whatever was cached
	// (grants, tokens, principals) while it ran is then stale at once.
	defer s.changed()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return errs.Wrap(errs.Internal, op, err, "begin transaction")
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return errs.Wrap(errs.Internal, op, err, "commit")
	}
	return nil
}
