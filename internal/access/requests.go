package access

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meshwork/meshwork/internal/errs"
)

// maxText bounds a request's purpose and a denial's reason, in characters.
const maxText = 2000

// requestable are the roles a principal may ask for; owner and admin are given, not requested.
var requestable = map[Role]bool{RoleConsumer: true, RolePublisher: true, RoleUnmask: true, RoleViewer: true}

func checkText(op, what, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errs.E(errs.Invalid, op, "the %s is required", what)
	case !utf8.ValidString(s):
		return "", errs.E(errs.Invalid, op, "the %s is not valid UTF-8", what)
	case utf8.RuneCountInString(s) > maxText:
		return "", errs.E(errs.Invalid, op, "the %s is longer than %d characters", what, maxText)
	}
	return s, nil
}

// RequestAccess files a pending request by p for role on the product.
// An empty role asks for consumer; only consumer, publisher, unmask and viewer may be requested.
// Whether the product exists is the caller's to check: the store does not know the registry.
func (s *Store) RequestAccess(ctx context.Context, p Principal, domain, product string, role Role, purpose string) (Request, error) {
	const op = "access.RequestAccess"
	if err := checkPrincipal(op, p.Name); err != nil {
		return Request{}, err
	}
	if err := checkObject(op, "domain", domain); err != nil {
		return Request{}, err
	}
	if err := checkObject(op, "product", product); err != nil {
		return Request{}, err
	}
	if role == "" {
		role = RoleConsumer
	}
	if !requestable[role] {
		return Request{}, errs.E(errs.Invalid, op, "role %q cannot be requested: ask for consumer, publisher, unmask or viewer", role)
	}
	purpose, err := checkText(op, "purpose", purpose)
	if err != nil {
		return Request{}, err
	}
	r := Request{ID: newID("req_"), Principal: p.Name, Domain: domain, Product: product, Role: role,
		Purpose: purpose, Status: StatusPending, CreatedAt: s.clock()}
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		var dup string
		err := tx.QueryRowContext(ctx, `SELECT id FROM mesh_access_requests
			WHERE principal = ? AND domain = ? AND product = ? AND role = ? AND status = ?`,
			p.Name, domain, product, string(role), StatusPending).Scan(&dup)
		switch {
		case err == nil:
			return errs.E(errs.Conflict, op, "%s already has a pending request (%s) for the %s role on %s.%s", p.Name, dup, role, domain, product)
		case !errors.Is(err, sql.ErrNoRows):
			return errs.Wrap(errs.Internal, op, err, "read requests")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO mesh_access_requests (id, principal, domain, product, role, purpose, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Principal, r.Domain, r.Product, string(r.Role), r.Purpose, r.Status, fmtTime(r.CreatedAt)); err != nil {
			return errs.Wrap(errs.Internal, op, err, "store request")
		}
		return nil
	})
	if err != nil {
		return Request{}, err
	}
	s.log.InfoContext(ctx, "access requested", "request", r.ID, "principal", r.Principal, "domain", domain, "product", product, "role", role)
	return r, nil
}

// Requests lists requests, filtered by status ("" for all), that the caller may see: its own, plus those on
// products it may grant on (admins see all). Oldest first.
func (s *Store) Requests(ctx context.Context, caller Principal, status string) ([]Request, error) {
	const op = "access.Requests"
	where, args := "", []any(nil)
	switch status {
	case "":
	case StatusPending, StatusApproved, StatusDenied:
		where, args = `WHERE status = ?`, []any{status}
	default:
		return nil, errs.E(errs.Invalid, op, "status %q does not exist: use pending, approved or denied", status)
	}
	all, err := s.requests(ctx, s.db, op, where, args...)
	if err != nil {
		return nil, err
	}
	var out []Request
	for _, r := range all {
		ok := caller.Name != "" && r.Principal == caller.Name
		if !ok {
			if ok, err = s.allowed(ctx, &caller, ActionGrant, Resource{Domain: r.Domain, Product: r.Product}); err != nil {
				return nil, err
			}
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// Approve approves a pending request (caller needs grant on the product) and creates the grant, with an expiry
// when ttl > 0, in one transaction. Like AddGrant, if the requester already holds that very grant, the approval
// sets its expiry.
func (s *Store) Approve(ctx context.Context, caller Principal, id string, ttl time.Duration) (Request, error) {
	const op = "access.Approve"
	if ttl < 0 {
		return Request{}, errs.E(errs.Invalid, op, "the grant's lifetime must not be negative")
	}
	r, err := s.decide(ctx, op, caller, id, func(tx *sql.Tx, r *Request, now time.Time) error {
		g := Grant{Role: r.Role, Subject: r.Principal, Domain: r.Domain, Product: r.Product}
		if ttl > 0 {
			exp := now.Add(ttl)
			g.ExpiresAt = &exp
		}
		g, err := upsertGrant(ctx, tx, caller.Name, g, now)
		if err != nil {
			return errs.Wrap(errs.Internal, op, err, "store grant")
		}
		r.Status, r.GrantID, r.ExpiresAt = StatusApproved, g.ID, g.ExpiresAt
		return nil
	})
	s.changed()
	if err != nil {
		return Request{}, err
	}
	s.log.InfoContext(ctx, "access request approved", "request", r.ID, "principal", r.Principal, "grant", r.GrantID, "by", caller.Name)
	return r, nil
}

// Deny denies a pending request with a reason (required).
func (s *Store) Deny(ctx context.Context, caller Principal, id string, reason string) (Request, error) {
	const op = "access.Deny"
	reason, err := checkText(op, "reason for a denial", reason)
	if err != nil {
		return Request{}, err
	}
	r, err := s.decide(ctx, op, caller, id, func(_ *sql.Tx, r *Request, _ time.Time) error {
		r.Status, r.Reason = StatusDenied, reason
		return nil
	})
	if err != nil {
		return Request{}, err
	}
	s.log.InfoContext(ctx, "access request denied", "request", r.ID, "principal", r.Principal, "by", caller.Name)
	return r, nil
}

// decide loads request id, checks that caller may grant on its product and
// that it is pending, lets fn decide it, and stores the decision. The
// pending check and the decision share one transaction.
func (s *Store) decide(ctx context.Context, op string, caller Principal, id string, fn func(*sql.Tx, *Request, time.Time) error) (Request, error) {
	load := func(q querier) (Request, error) {
		rs, err := s.requests(ctx, q, op, `WHERE id = ?`, id)
		if err != nil {
			return Request{}, err
		}
		if len(rs) == 0 {
			return Request{}, errs.E(errs.NotFound, op, "access request %s does not exist", id)
		}
		return rs[0], nil
	}
	r, err := load(s.db)
	if err != nil {
		return Request{}, err
	}
	// A request's product never changes, so the check can precede the
	// transaction (and not read grants while it holds the write lock).
	// Forbidden before Conflict: who may not decide learns nothing of the state.
	if err := s.Authorize(ctx, caller, ActionGrant, Resource{Domain: r.Domain, Product: r.Product}); err != nil {
		return Request{}, err
	}
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		var err error
		if r, err = load(tx); err != nil {
			return err
		}
		if r.Status != StatusPending {
			return errs.E(errs.Conflict, op, "access request %s is already %s", id, r.Status)
		}
		now := s.clock()
		if err := fn(tx, &r, now); err != nil {
			return err
		}
		r.DecidedBy, r.DecidedAt = caller.Name, &now
		if _, err := tx.ExecContext(ctx, `UPDATE mesh_access_requests
			SET status = ?, decided_by = ?, decided_at = ?, reason = ?, grant_id = ?, expires_at = ?
			WHERE id = ?`,
			r.Status, r.DecidedBy, fmtTime(now), r.Reason, r.GrantID, nullTime(r.ExpiresAt), id); err != nil {
			return errs.Wrap(errs.Internal, op, err, "store decision")
		}
		return nil
	})
	if err != nil {
		return Request{}, err
	}
	return r, nil
}

func (s *Store) requests(ctx context.Context, q querier, op, where string, args ...any) ([]Request, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, principal, domain, product, role, purpose, status,
		decided_by, reason, grant_id, expires_at, created_at, decided_at
		FROM mesh_access_requests `+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read requests")
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		var (
			r            Request
			role         string
			created      string
			exp, decided sql.NullString
		)
		if err := rows.Scan(&r.ID, &r.Principal, &r.Domain, &r.Product, &role, &r.Purpose, &r.Status,
			&r.DecidedBy, &r.Reason, &r.GrantID, &exp, &created, &decided); err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read requests")
		}
		r.Role = Role(role)
		if r.CreatedAt, err = parseTime(created); err == nil {
			if r.ExpiresAt, err = parseNullTime(exp); err == nil {
				r.DecidedAt, err = parseNullTime(decided)
			}
		}
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "read request %s", r.ID)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "read requests")
	}
	return out, nil
}
