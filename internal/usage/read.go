package usage

import (
	"context"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// Summary is a product's use over the last Days days (today, UTC, included).
type Summary struct {
	Days         int   `json:"days"`
	Consumers    int   `json:"consumers"`    // distinct principals who queried it in the window
	TotalQueries int64 `json:"totalQueries"` // successful queries in the window
	PerDay       []Day `json:"queriesPerDay"`
}

// Day is one UTC day of a Summary.
type Day struct {
	Day       string `json:"day"` // YYYY-MM-DD
	Queries   int64  `json:"queries"`
	Consumers int    `json:"consumers"`
}

// Summary returns the use of domain.product over the days days up to now,
// one entry per day, oldest first, days without queries included.
func (a *Aggregator) Summary(ctx context.Context, domain, product string, days int, now time.Time) (Summary, error) {
	const op = "usage.Summary"
	if days < 1 {
		days = 1
	}
	now = now.UTC()
	first := now.AddDate(0, 0, -(days - 1)).Format(time.DateOnly)
	s := Summary{Days: days, PerDay: make([]Day, days)}
	idx := map[string]int{}
	for i := range s.PerDay {
		d := now.AddDate(0, 0, i-(days-1)).Format(time.DateOnly)
		s.PerDay[i].Day = d
		idx[d] = i
	}
	rows, err := a.db.QueryContext(ctx, `SELECT day, SUM(queries), COUNT(*) FROM mesh_usage_consumers
		WHERE domain = ? AND product = ? AND day >= ? GROUP BY day`, domain, product, first)
	if err != nil {
		return s, errs.Wrap(errs.Internal, op, err, "read usage")
	}
	defer rows.Close()
	for rows.Next() {
		var d Day
		if err := rows.Scan(&d.Day, &d.Queries, &d.Consumers); err != nil {
			return s, errs.Wrap(errs.Internal, op, err, "read usage")
		}
		if i, ok := idx[d.Day]; ok {
			s.PerDay[i] = d
			s.TotalQueries += d.Queries
		}
	}
	if err := rows.Err(); err != nil {
		return s, errs.Wrap(errs.Internal, op, err, "read usage")
	}
	if err := a.db.QueryRowContext(ctx, `SELECT COUNT(DISTINCT principal) FROM mesh_usage_consumers
		WHERE domain = ? AND product = ? AND day >= ?`, domain, product, first).Scan(&s.Consumers); err != nil {
		return s, errs.Wrap(errs.Internal, op, err, "read usage")
	}
	return s, nil
}

// Frequent is one query shape of a product.
type Frequent struct {
	Fingerprint string    `json:"fingerprint"`
	Queries     int64     `json:"queries"`
	LastSeen    time.Time `json:"lastSeen"`
	// Products are every product the query read ("domain.product"): a
	// fingerprint names their tables, so it may be shown only to those
	// who may read them all.
	Products []string `json:"-"`
}

// Top returns up to limit of the product's most frequent query shapes, most
// used first.
func (a *Aggregator) Top(ctx context.Context, domain, product string, limit int) ([]Frequent, error) {
	const op = "usage.Top"
	rows, err := a.db.QueryContext(ctx, `SELECT fingerprint, products, queries, last_seen FROM mesh_usage_fingerprints
		WHERE domain = ? AND product = ? ORDER BY queries DESC, last_seen DESC LIMIT ?`, domain, product, limit)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read fingerprints")
	}
	defer rows.Close()
	var out []Frequent
	for rows.Next() {
		var f Frequent
		var products, last string
		if err := rows.Scan(&f.Fingerprint, &products, &f.Queries, &last); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read fingerprints")
		}
		f.Products = strings.Split(products, ",")
		f.LastSeen, _ = time.Parse(timeFormat, last)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read fingerprints")
	}
	return out, nil
}

// Use is how much a product was queried over a window.
type Use struct {
	Queries   int64 `json:"queries"`   // successful queries
	Consumers int   `json:"consumers"` // distinct principals who ran them
}

// Totals returns every queried product's use over the days days up to now,
// keyed "domain.product", in one read: the catalog's "most used" ranking.
func (a *Aggregator) Totals(ctx context.Context, days int, now time.Time) (map[string]Use, error) {
	const op = "usage.Totals"
	if days < 1 {
		days = 1
	}
	first := now.UTC().AddDate(0, 0, -(days - 1)).Format(time.DateOnly)
	rows, err := a.db.QueryContext(ctx, `SELECT domain, product, SUM(queries), COUNT(DISTINCT principal)
		FROM mesh_usage_consumers WHERE day >= ? GROUP BY domain, product`, first)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read usage")
	}
	defer rows.Close()
	out := map[string]Use{}
	for rows.Next() {
		var d, p string
		var u Use
		if err := rows.Scan(&d, &p, &u.Queries, &u.Consumers); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read usage")
		}
		out[d+"."+p] = u
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read usage")
	}
	return out, nil
}
