package platform

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/policy"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/query"
)

// AsAdmin returns ctx acting as the platform admin, for the platform's own
// work (seeding the demo, maintenance), which is audited under that name.
func AsAdmin(ctx context.Context) context.Context {
	return access.WithPrincipal(ctx, access.Principal{Name: "admin", Via: "system"})
}

// loadPolicy loads the bundle in dir, or the embedded default.
func loadPolicy(ctx context.Context, dir string) (*policy.Engine, error) {
	if dir == "" {
		return policy.Load(ctx, policy.Default())
	}
	return policy.LoadDir(ctx, dir)
}

// maskKey reads the key of the hash mask from path, making it on first use.
// It never leaves the data directory: a consumer who could read it could
// test guesses against masked values.
func maskKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k := strings.TrimSpace(string(b))
		if len(k) < 32 {
			return "", fmt.Errorf("the mask key in %s is too short", path)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read the mask key: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	k := hex.EncodeToString(raw[:])
	if err := os.WriteFile(path, []byte(k+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the mask key: %w", err)
	}
	return k, nil
}

// auditQuery records every query: who, which products, the SQL's hash (not
// its text, which may carry literals the caller considers private), rows and
// duration.
func (p *Platform) auditQuery(ctx context.Context, r query.Record) {
	who, _ := access.FromContext(ctx)
	out := audit.OK
	details := map[string]any{"rows": r.Rows, "ms": float64(r.Duration.Microseconds()) / 1000}
	h := sha256.Sum256([]byte(r.SQL))
	details["sqlHash"] = hex.EncodeToString(h[:])
	var tables, products []string
	seen := map[string]bool{}
	for _, t := range r.Tables {
		tables = append(tables, t.String())
		pr := t.Domain + "." + t.Product
		if !seen[pr] {
			seen[pr] = true
			products = append(products, pr)
		}
	}
	details["tables"] = tables
	if r.Err != nil {
		out = audit.Failed
		if errs.Is(r.Err, errs.Forbidden) || errs.Is(r.Err, errs.Unauthenticated) {
			out = audit.Denied
		}
		_, msg, _ := errs.Public(r.Err)
		details["error"] = msg
	}
	p.Audit.Append(audit.Event{Principal: who.Name, Action: "query", Resource: strings.Join(products, ","), Outcome: out}, details)
}

// retainer runs the retention job over every table.
type retainer struct{ p *Platform }

// RetainAll enforces every table's retention SLA.
func (r retainer) RetainAll(ctx context.Context) (any, error) { return r.p.RetainAll(ctx) }

// RetainAll enforces every table's retention SLA: rows older than the
// retention are removed in a new snapshot and older snapshots expire. A
// failure on one table does not stop the others; the first is returned.
func (p *Platform) RetainAll(ctx context.Context) ([]*publish.RetentionReport, error) {
	tables, err := p.Registry.Tables(ctx, "", "")
	if err != nil {
		return nil, err
	}
	var out []*publish.RetentionReport
	var first error
	now := time.Now()
	for i := range tables {
		t := &tables[i]
		rep, err := p.Publisher.Retain(ctx, t, now)
		id := lake.Ident{Domain: t.Domain, Product: t.Namespace, Table: t.Name}
		outcome := audit.OK
		if err != nil {
			outcome = audit.Failed
			p.log.Error("retention failed", "table", id.String(), "err", err)
			if first == nil {
				first = err
			}
		}
		if rep != nil {
			out = append(out, rep)
		}
		p.Audit.Append(audit.Event{Principal: "system", Action: "retention", Resource: id.String(), Outcome: outcome}, rep)
	}
	return out, first
}

// Maintain runs RetainAll every interval until ctx is done.
func (p *Platform) Maintain(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := p.RetainAll(ctx); err != nil && ctx.Err() == nil {
				p.log.Warn("maintenance run had failures", "err", err)
			}
		}
	}
}
