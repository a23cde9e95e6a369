package bench

import (
	"context"
	"sort"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/query"
)

// consumerToken makes the principal the governed figures are measured as:
// a consumer of every demo domain, without the unmask right, so that the
// PII columns of customers and supply reach it masked.
func consumerToken(ctx context.Context, p *platform.Platform) (string, error) {
	_, secret, err := p.Access.CreateToken(ctx, "bench", "bench-consumer", nil, nil, 0)
	if err != nil {
		return "", err
	}
	for _, d := range demo.Domains {
		if _, err := p.Access.AddGrant(ctx, "bench", access.Grant{Role: access.RoleConsumer, Subject: "bench-consumer", Domain: d}); err != nil {
			return "", err
		}
	}
	return secret, nil
}

// GovernanceResult is what governance adds to a trivial query, measured
// in-process so that HTTP and JSON do not blur it: the same query through
// an engine that governs nothing, and through the platform's engine as a
// consumer who sees two columns masked; plus authenticating the token.
type GovernanceResult struct {
	Query        string
	Calls        int
	Ungoverned   time.Duration // p50
	Governed     time.Duration // p50
	Authenticate time.Duration // p50
}

// Overhead is governance's p50 cost per query: authentication plus the
// governed engine's extra time.
func (g GovernanceResult) Overhead() time.Duration {
	return g.Authenticate + g.Governed - g.Ungoverned
}

const maskedQuery = "SELECT c_name, c_phone, c_mktsegment FROM customers.crm.customer WHERE c_custkey = 7"

func benchGovernance(ctx context.Context, p *platform.Platform, token string, calls int) (GovernanceResult, error) {
	r := GovernanceResult{Query: maskedQuery, Calls: calls}
	plain, err := query.NewEngine(ctx, query.EngineConfig{DuckDB: p.DuckDB, Lake: p.Lake, Tables: p.Registry,
		Governor: query.Ungoverned{}, Logger: discard()})
	if err != nil {
		return r, err
	}
	who, err := p.Access.Authenticate(ctx, token)
	if err != nil {
		return r, err
	}
	gctx := access.WithPrincipal(ctx, who)
	run := func(ctx context.Context, e *query.Engine) (time.Duration, error) {
		return p50(calls, func() error {
			_, _, err := e.Exec(ctx, maskedQuery)
			return err
		})
	}
	// Interleave the two so that drift on this noisy machine hits both.
	for i := 0; i < 3; i++ {
		if r.Ungoverned, err = run(ctx, plain); err != nil {
			return r, err
		}
		if r.Governed, err = run(gctx, p.Engine); err != nil {
			return r, err
		}
	}
	r.Authenticate, err = p50(calls, func() error {
		_, err := p.Access.Authenticate(ctx, token)
		return err
	})
	return r, err
}

// p50 runs f calls times (after a warm-up) and returns the median time.
func p50(calls int, f func() error) (time.Duration, error) {
	for i := 0; i < 20; i++ {
		if err := f(); err != nil {
			return 0, err
		}
	}
	ds := make([]time.Duration, calls)
	for i := range ds {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ds[i] = time.Since(start)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2], nil
}
