package access

import (
	"context"
	"database/sql"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// checkGrant validates a grant's role, subject, scope and expiry at now.
// Who may grant is the caller's business (the HTTP layer), not the store's.
func checkGrant(op string, g *Grant, now time.Time) error {
	if _, ok := roleActions[g.Role]; !ok {
		return errs.E(errs.Invalid, op, "role %q does not exist: use admin, owner, publisher, consumer, viewer or unmask", g.Role)
	}
	if err := checkSubject(op, g.Subject); err != nil {
		return err
	}
	switch {
	case g.Role == RoleAdmin && (g.Domain != "" || g.Product != ""):
		return errs.E(errs.Invalid, op, "the admin role is granted on the platform only, not on a domain or product")
	case g.Role != RoleAdmin && g.Domain == "":
		return errs.E(errs.Invalid, op, "the %s role needs a domain (only admin is granted on the platform)", g.Role)
	}
	if g.Domain != "" {
		if err := checkObject(op, "domain", g.Domain); err != nil {
			return err
		}
	}
	if g.Product != "" {
		if err := checkObject(op, "product", g.Product); err != nil {
			return err
		}
	}
	if g.ExpiresAt != nil && !g.ExpiresAt.After(now) {
		return errs.E(errs.Invalid, op, "the grant's expiry %s is not in the future", g.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// AddGrant grants role on (domain, product) to subject ("name" or "group:name").
// Granting what is already granted sets the expiry of the existing grant
// (nil: never expires) and returns it with its id. It returns the stored grant.
func (s *Store) AddGrant(ctx context.Context, by string, g Grant) (Grant, error) {
	const op = "access.AddGrant"
	if by == "" {
		return Grant{}, errs.E(errs.Invalid, op, "the grantor is required")
	}
	now := s.clock()
	if err := checkGrant(op, &g, now); err != nil {
		return Grant{}, err
	}
	var out Grant
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		var err error
		out, err = upsertGrant(ctx, tx, by, g, now)
		if err != nil {
			return errs.Wrap(errs.Internal, op, err, "store grant")
		}
		return nil
	})
	s.changed()
	if err != nil {
		return Grant{}, err
	}
	s.log.InfoContext(ctx, "grant added", "grant", out.ID, "role", out.Role, "subject", out.Subject,
		"domain", out.Domain, "product", out.Product, "by", by)
	return out, nil
}

// upsertGrant stores g (already checked), or updates the expiry of the same grant, and returns what is stored.
func upsertGrant(ctx context.Context, q querier, by string, g Grant, now time.Time) (Grant, error) {
	if g.ExpiresAt != nil {
		exp := g.ExpiresAt.UTC().Round(0)
		g.ExpiresAt = &exp
	}
	var created string
	err := q.QueryRowContext(ctx, `INSERT INTO mesh_grants (id, role, subject, domain, product, expires_at, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (role, subject, domain, product) DO UPDATE SET expires_at = excluded.expires_at
		RETURNING id, created_by, created_at`,
		newID("grt_"), string(g.Role), g.Subject, g.Domain, g.Product, nullTime(g.ExpiresAt), by, fmtTime(now)).
		Scan(&g.ID, &g.CreatedBy, &created)
	if err != nil {
		return Grant{}, err
	}
	if g.CreatedAt, err = parseTime(created); err != nil {
		return Grant{}, err
	}
	return g, nil
}

// RevokeGrant removes a grant by id and returns it.
func (s *Store) RevokeGrant(ctx context.Context, id string) (Grant, error) {
	const op = "access.RevokeGrant"
	var g Grant
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		gs, err := s.grants(ctx, tx, op, `WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if len(gs) == 0 {
			return errs.E(errs.NotFound, op, "grant %s does not exist", id)
		}
		g = gs[0]
		if _, err := tx.ExecContext(ctx, `DELETE FROM mesh_grants WHERE id = ?`, id); err != nil {
			return errs.Wrap(errs.Internal, op, err, "delete grant")
		}
		return nil
	})
	s.changed()
	if err != nil {
		return Grant{}, err
	}
	s.log.InfoContext(ctx, "grant revoked", "grant", g.ID, "role", g.Role, "subject", g.Subject, "domain", g.Domain, "product", g.Product)
	return g, nil
}

// Grant returns one grant by id, or a NotFound error.
func (s *Store) Grant(ctx context.Context, id string) (Grant, error) {
	const op = "access.Grant"
	gs, err := s.grants(ctx, s.db, op, `WHERE id = ?`, id)
	if err != nil {
		return Grant{}, err
	}
	if len(gs) == 0 {
		return Grant{}, errs.E(errs.NotFound, op, "grant %s does not exist", id)
	}
	return gs[0], nil
}

// Grants lists grants, optionally only those on a domain (and product).
// With a domain alone it lists the domain's grants and those on its
// products; with a product, the grants on that product itself. Expired
// grants are listed too (they show their expiry).
func (s *Store) Grants(ctx context.Context, domain, product string) ([]Grant, error) {
	const op = "access.Grants"
	switch {
	case domain == "" && product != "":
		return nil, errs.E(errs.Invalid, op, "a product needs its domain")
	case domain == "":
		return s.grants(ctx, s.db, op, "")
	case product == "":
		return s.grants(ctx, s.db, op, `WHERE domain = ?`, domain)
	}
	return s.grants(ctx, s.db, op, `WHERE domain = ? AND product = ?`, domain, product)
}

func (s *Store) grants(ctx context.Context, q querier, op, where string, args ...any) ([]Grant, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, role, subject, domain, product, expires_at, created_by, created_at
		FROM mesh_grants `+where+` ORDER BY domain, product, role, subject`, args...)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read grants")
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var (
			g       Grant
			role    string
			created string
			exp     sql.NullString
		)
		if err := rows.Scan(&g.ID, &role, &g.Subject, &g.Domain, &g.Product, &exp, &g.CreatedBy, &created); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read grants")
		}
		g.Role = Role(role)
		if g.CreatedAt, err = parseTime(created); err == nil {
			g.ExpiresAt, err = parseNullTime(exp)
		}
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read grant %s", g.ID)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read grants")
	}
	return out, nil
}
