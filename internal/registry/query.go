package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/spec"
)

// timeFormat is how times are stored: fixed width in UTC, so that the text
// sorts as the time does (ORDER BY applied_at, finished_at). RFC 3339 with
// trimmed fractions does not: ".1Z" sorts after ".12Z".
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func now() string { return time.Now().UTC().Format(timeFormat) }

// parseTime reads a stored time; RFC3339Nano also reads the fixed-width form.
func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// Products lists every product, ordered by domain and name.
func (r *Registry) Products(ctx context.Context) ([]Product, error) {
	return r.products(ctx, `ORDER BY domain, name`)
}

// Product returns one product, or a NotFound error.
func (r *Registry) Product(ctx context.Context, domain, name string) (*Product, error) {
	ps, err := r.products(ctx, `WHERE domain = ? AND name = ?`, domain, name)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, errs.E(errs.NotFound, "registry.Product", "product %s.%s does not exist", domain, name)
	}
	return &ps[0], nil
}

func (r *Registry) products(ctx context.Context, where string, args ...any) ([]Product, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT domain, name, spec_id, status, version, description, team, doc, hash, created_at, updated_at
		FROM mesh_products `+where, args...)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "registry.products", err, "read products")
	}
	defer rows.Close()
	var out []Product
	for rows.Next() {
		var p Product
		var doc, created, updated string
		if err := rows.Scan(&p.Domain, &p.Name, &p.SpecID, &p.Status, &p.Version, &p.Description, &p.Team, &doc, &p.Hash, &created, &updated); err != nil {
			return nil, errs.Wrap(errs.Internal, "registry.products", err, "read products")
		}
		p.Doc, p.CreatedAt, p.UpdatedAt = json.RawMessage(doc), parseTime(created), parseTime(updated)
		out = append(out, p)
	}
	return out, rows.Err()
}

// DomainExists reports whether a domain has been applied.
func (r *Registry) DomainExists(ctx context.Context, name string) (bool, error) {
	var n int
	if err := r.db.QueryRowContext(ctx, `SELECT count(*) FROM mesh_domains WHERE name = ?`, name).Scan(&n); err != nil {
		return false, errs.Wrap(errs.Internal, "registry.DomainExists", err, "read domains")
	}
	return n > 0, nil
}

// Tables lists the tables of a product, every major (all products when
// domain is empty).
func (r *Registry) Tables(ctx context.Context, domain, product string) ([]Table, error) {
	if domain == "" {
		return r.tables(ctx, `ORDER BY domain, product, name, major`)
	}
	return r.tables(ctx, `WHERE domain = ? AND product = ? ORDER BY name, major`, domain, product)
}

// Table returns the table consumers read now under an unpinned name (see
// Resolve), or a NotFound error.
func (r *Registry) Table(ctx context.Context, domain, product, name string) (*Table, error) {
	return r.Resolve(ctx, domain, product, name, nil, time.Now())
}

// Resolve returns the table domain.product.name of one major: the pinned
// one, or else the latest major whose contract is active (if none is, the
// latest still served). A retired major, or one past its sunset, is NotFound
// with the reason.
func (r *Registry) Resolve(ctx context.Context, domain, product, name string, major *int, now time.Time) (*Table, error) {
	const op = "registry.Resolve"
	ts, err := r.tables(ctx, `WHERE domain = ? AND product = ? AND name = ? ORDER BY major DESC`, domain, product, name)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, errs.E(errs.NotFound, op, "table %s.%s.%s does not exist", domain, product, name)
	}
	if major != nil {
		for i := range ts {
			t := &ts[i]
			if t.Major != *major {
				continue
			}
			if !t.Served(now) {
				return nil, errs.E(errs.NotFound, op, "%s is retired%s: read %s", t.Address(), sunsetText(t), latestText(ts, now))
			}
			return t, nil
		}
		return nil, errs.E(errs.NotFound, op, "table %s.%s.%s has no major version %d", domain, product, name, *major)
	}
	// The latest active major; else the latest still served that is not a
	// draft (a deprecated one before its sunset); else a draft, when drafts
	// are all there is.
	for _, ok := range []func(*Table) bool{
		func(t *Table) bool { return t.Status == "active" },
		func(t *Table) bool { return t.Status != "draft" && t.Status != "proposed" },
		func(*Table) bool { return true },
	} {
		for i := range ts {
			if ok(&ts[i]) && ts[i].Served(now) {
				return &ts[i], nil
			}
		}
	}
	return nil, errs.E(errs.NotFound, op, "table %s.%s.%s is retired in every major version", domain, product, name)
}

func sunsetText(t *Table) string {
	if t.Sunset == nil {
		return ""
	}
	return " since " + t.Sunset.UTC().Format(time.DateOnly)
}

// latestText names what a consumer of a retired major should read instead.
func latestText(ts []Table, now time.Time) string {
	for _, t := range ts {
		if t.Served(now) {
			return t.Domain + "." + t.Product + "." + t.Name + " (" + t.Address() + ")"
		}
	}
	return "nothing: every major is retired"
}

func (r *Registry) tables(ctx context.Context, where string, args ...any) ([]Table, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT domain, product, major, name, namespace, contract_id, contract_version, status, sunset, def, created_at, updated_at
		FROM mesh_tables `+where, args...)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "registry.tables", err, "read tables")
	}
	defer rows.Close()
	var out []Table
	for rows.Next() {
		var t Table
		var def, sunset, created, updated string
		if err := rows.Scan(&t.Domain, &t.Product, &t.Major, &t.Name, &t.Namespace, &t.ContractID, &t.ContractVersion, &t.Status, &sunset, &def, &created, &updated); err != nil {
			return nil, errs.Wrap(errs.Internal, "registry.tables", err, "read tables")
		}
		if err := json.Unmarshal([]byte(def), &t.Def); err != nil {
			return nil, errs.Wrap(errs.Internal, "registry.tables", err, "decode table %s.%s.%s", t.Domain, t.Product, t.Name)
		}
		if sunset != "" {
			st := parseTime(sunset)
			t.Sunset = &st
		}
		t.CreatedAt, t.UpdatedAt = parseTime(created), parseTime(updated)
		out = append(out, t)
	}
	return out, rows.Err()
}

// Contract returns one version of a contract, or a NotFound error.
func (r *Registry) Contract(ctx context.Context, id, version string) (*Contract, error) {
	cs, err := r.contracts(ctx, `WHERE id = ? AND version = ?`, id, version)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errs.E(errs.NotFound, "registry.Contract", "contract %s version %s does not exist", id, version)
	}
	return &cs[0], nil
}

// ContractsOf lists the contract versions applied for a product, newest first.
func (r *Registry) ContractsOf(ctx context.Context, domain, product string) ([]Contract, error) {
	return r.contracts(ctx, `WHERE domain = ? AND product = ? ORDER BY applied_at DESC`, domain, product)
}

// Versions lists every applied version of a contract, in semantic version
// order (oldest first).
func (r *Registry) Versions(ctx context.Context, id string) ([]Contract, error) {
	cs, err := r.contracts(ctx, `WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	sortVersions(cs)
	return cs, nil
}

// sortVersions orders contract versions by semver; a version that does not
// parse (applied before versions were checked) sorts by text, first.
func sortVersions(cs []Contract) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, aerr := spec.ParseVersion(cs[i].Version)
		b, berr := spec.ParseVersion(cs[j].Version)
		switch {
		case aerr != nil && berr != nil:
			return cs[i].Version < cs[j].Version
		case aerr != nil:
			return true
		case berr != nil:
			return false
		}
		return a.Compare(b) < 0
	})
}

// ContractByID returns the most recently applied version of a contract id, or nil.
func (r *Registry) ContractByID(ctx context.Context, id string) (*Contract, error) {
	cs, err := r.contracts(ctx, `WHERE id = ? ORDER BY applied_at DESC LIMIT 1`, id)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return &cs[0], nil
}

func (r *Registry) contracts(ctx context.Context, where string, args ...any) ([]Contract, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT id, version, major, domain, product, status, doc, hash, applied_at, applied_by FROM mesh_contracts `+where, args...)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "registry.contracts", err, "read contracts")
	}
	defer rows.Close()
	var out []Contract
	for rows.Next() {
		var c Contract
		var doc, applied string
		if err := rows.Scan(&c.ID, &c.Version, &c.Major, &c.Domain, &c.Product, &c.Status, &doc, &c.Hash, &applied, &c.AppliedBy); err != nil {
			return nil, errs.Wrap(errs.Internal, "registry.contracts", err, "read contracts")
		}
		c.Doc, c.AppliedAt = json.RawMessage(doc), parseTime(applied)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Apply writes a change in one transaction. If a contract major's latest
// version is no longer what ch.Expect says (another apply won the race),
// nothing is written and the error is a Conflict.
func (r *Registry) Apply(ctx context.Context, ch Change) error {
	const op = "registry.Apply"
	ts := now()
	var conflict error
	err := r.inTx(ctx, func(tx *sql.Tx) error {
		for _, e := range ch.Expect {
			got, err := head(ctx, tx, e.ContractID, e.Major)
			if err != nil {
				return err
			}
			if got.Version != e.Version || got.Hash != e.Hash {
				was := e.Version
				if was == "" {
					was = "none"
				}
				conflict = errs.E(errs.Conflict, op, "contract %q major %d changed while this apply was checked (latest was %s, is now %s): check again against the new version",
					e.ContractID, e.Major, was, got.Version)
				return conflict
			}
		}
		for name, team := range ch.Domains {
			if _, err := tx.ExecContext(ctx, `INSERT INTO mesh_domains (name, team, created_at, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (name) DO UPDATE SET team = excluded.team, updated_at = excluded.updated_at
				WHERE mesh_domains.team <> excluded.team`, name, team, ts, ts); err != nil {
				return fmt.Errorf("domain %s: %w", name, err)
			}
		}
		for _, p := range ch.Products {
			if _, err := tx.ExecContext(ctx, `INSERT INTO mesh_products (domain, name, spec_id, status, version, description, team, doc, hash, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (domain, name) DO UPDATE SET spec_id = excluded.spec_id, status = excluded.status, version = excluded.version,
				description = excluded.description, team = excluded.team, doc = excluded.doc, hash = excluded.hash, updated_at = excluded.updated_at`,
				p.Domain, p.Name, p.SpecID, p.Status, p.Version, p.Description, p.Team, string(p.Doc), p.Hash, ts, ts); err != nil {
				return fmt.Errorf("product %s.%s: %w", p.Domain, p.Name, err)
			}
		}
		for _, c := range ch.Contracts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO mesh_contracts (id, version, major, domain, product, status, doc, hash, applied_at, applied_by)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (id, version) DO UPDATE SET status = excluded.status, doc = excluded.doc, hash = excluded.hash`,
				c.ID, c.Version, c.Major, c.Domain, c.Product, c.Status, string(c.Doc), c.Hash, ts, c.AppliedBy); err != nil {
				return fmt.Errorf("contract %s %s: %w", c.ID, c.Version, err)
			}
		}
		for _, t := range ch.Tables {
			def, err := json.Marshal(t.Def)
			if err != nil {
				return err
			}
			sunset := ""
			if t.Sunset != nil {
				sunset = t.Sunset.UTC().Format(timeFormat)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO mesh_tables (domain, product, major, name, namespace, contract_id, contract_version, status, sunset, def, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (domain, product, major, name) DO UPDATE SET contract_id = excluded.contract_id,
				contract_version = excluded.contract_version, status = excluded.status, sunset = excluded.sunset,
				def = excluded.def, updated_at = excluded.updated_at`,
				t.Domain, t.Product, t.Major, t.Name, t.Namespace, t.ContractID, t.ContractVersion, t.Status, sunset, string(def), ts, ts); err != nil {
				return fmt.Errorf("table %s: %w", t.Address(), err)
			}
		}
		return nil
	})
	if conflict != nil {
		return conflict
	}
	if err != nil {
		return errs.Wrap(errs.Internal, op, err, "apply failed; nothing was changed")
	}
	return nil
}

// Head returns the latest applied version of one major of a contract (a
// zero Head when it has none).
func (r *Registry) Head(ctx context.Context, id string, major int) (Head, error) {
	var h Head
	err := r.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		h, err = head(ctx, tx, id, major)
		return err
	})
	if err != nil {
		return Head{}, errs.Wrap(errs.Internal, "registry.Head", err, "read contract %s", id)
	}
	return h, nil
}

func head(ctx context.Context, tx *sql.Tx, id string, major int) (Head, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version, hash FROM mesh_contracts WHERE id = ? AND major = ?`, id, major)
	if err != nil {
		return Head{}, fmt.Errorf("read versions of %s: %w", id, err)
	}
	defer rows.Close()
	var cs []Contract
	for rows.Next() {
		var c Contract
		if err := rows.Scan(&c.Version, &c.Hash); err != nil {
			return Head{}, err
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return Head{}, err
	}
	h := Head{ContractID: id, Major: major}
	if len(cs) > 0 {
		sortVersions(cs)
		h.Version, h.Hash = cs[len(cs)-1].Version, cs[len(cs)-1].Hash
	}
	return h, nil
}

// RecordPublish stores the record of a publish run. A committed run whose
// idempotency key was already committed for the table is a Conflict.
func (r *Registry) RecordPublish(ctx context.Context, p Publish) error {
	var key any
	if p.IdempotencyKey != "" {
		key = p.IdempotencyKey
	}
	_, err := r.db.ExecContext(ctx, `INSERT INTO mesh_publishes (run_id, domain, product, tbl, mode, status, snapshot_id, idempotency_key, report, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.RunID, p.Domain, p.Product, p.Table, p.Mode, p.Status, p.SnapshotID, key, string(p.Report),
		p.StartedAt.UTC().Format(timeFormat), p.FinishedAt.UTC().Format(timeFormat))
	if err != nil {
		if msg := err.Error(); strings.Contains(msg, "UNIQUE constraint failed") && strings.Contains(msg, "idempotency_key") {
			return errs.Wrap(errs.Conflict, "registry.RecordPublish", err, "idempotency key %q was already committed for %s.%s.%s", p.IdempotencyKey, p.Domain, p.Product, p.Table)
		}
		return errs.Wrap(errs.Internal, "registry.RecordPublish", err, "record publish")
	}
	return nil
}

// CommittedPublish returns the committed publish of a table with the given
// idempotency key, or nil.
func (r *Registry) CommittedPublish(ctx context.Context, domain, product, table, key string) (*Publish, error) {
	ps, err := r.publishes(ctx, `WHERE domain = ? AND product = ? AND tbl = ? AND idempotency_key = ? AND status = 'committed' LIMIT 1`, domain, product, table, key)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return &ps[0], nil
}

// LastPublish returns the latest publish run of a table, or nil.
func (r *Registry) LastPublish(ctx context.Context, domain, product, table string) (*Publish, error) {
	ps, err := r.publishes(ctx, `WHERE domain = ? AND product = ? AND tbl = ? ORDER BY finished_at DESC LIMIT 1`, domain, product, table)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	return &ps[0], nil
}

func (r *Registry) publishes(ctx context.Context, where string, args ...any) ([]Publish, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT run_id, domain, product, tbl, mode, status, snapshot_id, COALESCE(idempotency_key, ''), report, started_at, finished_at
		FROM mesh_publishes `+where, args...)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "registry.publishes", err, "read publishes")
	}
	defer rows.Close()
	var out []Publish
	for rows.Next() {
		var p Publish
		var snap sql.NullInt64
		var report, started, finished string
		if err := rows.Scan(&p.RunID, &p.Domain, &p.Product, &p.Table, &p.Mode, &p.Status, &snap, &p.IdempotencyKey, &report, &started, &finished); err != nil {
			return nil, errs.Wrap(errs.Internal, "registry.publishes", err, "read publishes")
		}
		if snap.Valid {
			p.SnapshotID = &snap.Int64
		}
		p.Report, p.StartedAt, p.FinishedAt = json.RawMessage(report), parseTime(started), parseTime(finished)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, errs.Wrap(errs.Internal, "registry.publishes", err, "read publishes")
	}
	return out, nil
}
