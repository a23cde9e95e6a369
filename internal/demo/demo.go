// Package demo seeds a realistic demo mesh: three domains owned by different
// teams (customers, sales, supply) with TPC-H-shaped data products, their
// contracts (descriptions, classifications, quality rules, SLAs) and data
// from the deterministic generator in package tpch, published through the
// same pipeline as any other data.
package demo

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/demo/specs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/tpch"
)

// Sources returns the demo's spec files.
func Sources() ([]apply.Source, error) {
	names, err := fs.Glob(specs.FS, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []apply.Source
	for _, n := range names {
		b, err := fs.ReadFile(specs.FS, n)
		if err != nil {
			return nil, err
		}
		out = append(out, apply.Source{Name: n, Data: b})
	}
	return out, nil
}

// Publisher is what seeding needs of the publish pipeline.
type Publisher interface {
	Publish(ctx context.Context, req publish.Request) (*publish.Report, error)
}

// Applier is what seeding needs of apply.
type Applier interface {
	Apply(ctx context.Context, srcs []apply.Source, dryRun bool) (*apply.Plan, error)
}

// Seed applies the demo specs and publishes every table at scale factor sf.
// The generator streams into the publish pipeline: nothing is held in memory.
func Seed(ctx context.Context, a Applier, p Publisher, sf float64, log *slog.Logger) error {
	srcs, err := Sources()
	if err != nil {
		return fmt.Errorf("demo: read specs: %w", err)
	}
	if _, err := a.Apply(ctx, srcs, false); err != nil {
		return fmt.Errorf("demo: apply specs: %w", err)
	}
	for _, t := range tpch.Tables {
		start := time.Now()
		rep, err := publishTable(ctx, p, t, sf)
		if err != nil {
			return fmt.Errorf("demo: publish %s: %w", t, err)
		}
		log.Info("demo table published", "table", tpch.TableNames[t], "rows", rep.RowsOK, "ms", time.Since(start).Milliseconds())
	}
	return nil
}

func publishTable(ctx context.Context, p Publisher, table string, sf float64) (*publish.Report, error) {
	parts := strings.Split(tpch.TableNames[table], ".")
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(tpch.WriteCSV(pw, table, sf))
	}()
	defer pr.Close()
	return p.Publish(ctx, publish.Request{
		Table:  lake.Ident{Domain: parts[0], Product: parts[1], Table: parts[2]},
		Mode:   lake.Replace,
		Format: publish.CSV,
		Body:   pr,
	})
}
