package access

import (
	"context"
	"fmt"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
)

// actionSet is a set of actions as bits.
type actionSet uint8

const (
	bitRead actionSet = 1 << iota
	bitPublish
	bitApply
	bitGrant
	bitUnmask
	bitAdmin
	bitDiscover
)

func actionBit(a Action) actionSet {
	switch a {
	case ActionDiscover:
		return bitDiscover
	case ActionRead:
		return bitRead
	case ActionPublish:
		return bitPublish
	case ActionApply:
		return bitApply
	case ActionGrant:
		return bitGrant
	case ActionUnmask:
		return bitUnmask
	case ActionAdmin:
		return bitAdmin
	}
	return 0
}

// roleActions is what each role allows on its scope. Admin allows
// everything everywhere and is handled apart. Every role may discover what
// it is granted on: whoever may do anything with a product may find it.
var roleActions = map[Role]actionSet{
	RoleAdmin:     bitDiscover | bitRead | bitPublish | bitApply | bitGrant | bitUnmask | bitAdmin,
	RoleOwner:     bitDiscover | bitRead | bitPublish | bitApply | bitGrant | bitUnmask,
	RolePublisher: bitDiscover | bitRead | bitPublish,
	RoleConsumer:  bitDiscover | bitRead,
	RoleUnmask:    bitDiscover | bitUnmask,
	RoleViewer:    bitDiscover,
}

// entry is one grant as Authorize sees it.
type entry struct {
	role    Role
	actions actionSet
	domain  string
	product string
	expires int64 // unix nanoseconds; 0: never
}

// allows reports whether e lets its subject do the action bit on r at now.
func (e *entry) allows(bit actionSet, r Resource, now int64) bool {
	if e.expires != 0 && e.expires <= now {
		return false
	}
	if e.role == RoleAdmin {
		return true // admin grants exist only on the platform scope (see loadSnapshot)
	}
	if e.actions&bit == 0 || r.Domain == "" || e.domain != r.Domain {
		return false
	}
	return e.product == "" || e.product == r.Product
}

// snapshot is every grant at generation gen, by subject.
type snapshot struct {
	gen    uint64
	users  map[string][]entry // by principal name
	groups map[string][]entry // by group name, without the "group:" prefix
}

func (sn *snapshot) allows(p *Principal, bit actionSet, r Resource, now int64) bool {
	us := sn.users[p.Name]
	for i := range us {
		if us[i].allows(bit, r, now) {
			return true
		}
	}
	for _, g := range p.Groups {
		es := sn.groups[g]
		for i := range es {
			if es[i].allows(bit, r, now) {
				return true
			}
		}
	}
	return false
}

// snapshot returns the current grants, loading them if a change made them stale.
func (s *Store) snapshot(ctx context.Context) (*snapshot, error) {
	if sn := s.snap.Load(); sn != nil && sn.gen == s.gen.Load() {
		return sn, nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	// Read the generation before the grants: a change committed during the
	// load bumps it again, so this snapshot is stale at once and reloaded.
	gen := s.gen.Load()
	if sn := s.snap.Load(); sn != nil && sn.gen == gen {
		return sn, nil
	}
	sn, err := s.loadSnapshot(ctx, gen)
	if err != nil {
		return nil, err
	}
	s.snap.Store(sn)
	return sn, nil
}

func (s *Store) loadSnapshot(ctx context.Context, gen uint64) (*snapshot, error) {
	const op = "access.Authorize"
	gs, err := s.grants(ctx, s.db, op, "")
	if err != nil {
		return nil, err
	}
	sn := &snapshot{gen: gen, users: map[string][]entry{}, groups: map[string][]entry{}}
	for _, g := range gs {
		actions, ok := roleActions[g.Role]
		if !ok || (g.Role == RoleAdmin) != (g.Domain == "") || (g.Domain == "" && g.Product != "") {
			// Only a grant written around AddGrant can be like this; it grants nothing.
			s.log.WarnContext(ctx, "ignoring a malformed grant", "grant", g.ID, "role", g.Role, "domain", g.Domain, "product", g.Product)
			continue
		}
		e := entry{role: g.Role, actions: actions, domain: g.Domain, product: g.Product}
		if g.ExpiresAt != nil {
			e.expires = g.ExpiresAt.UnixNano()
		}
		if name, ok := strings.CutPrefix(g.Subject, groupPrefix); ok {
			sn.groups[name] = append(sn.groups[name], e)
		} else {
			sn.users[g.Subject] = append(sn.users[g.Subject], e)
		}
	}
	return sn, nil
}

// allowed is Authorize's decision without the error message.
func (s *Store) allowed(ctx context.Context, p *Principal, a Action, r Resource) (bool, error) {
	bit := actionBit(a)
	if bit == 0 || p.Name == "" {
		return false, nil
	}
	sn, err := s.snapshot(ctx)
	if err != nil {
		return false, err
	}
	return sn.allows(p, bit, r, s.now().UnixNano()), nil
}

// Authorize returns nil if p may do a on r, else an errs.Forbidden error naming the principal, action and resource.
// Everything is denied unless a live grant allows it.
func (s *Store) Authorize(ctx context.Context, p Principal, a Action, r Resource) error {
	ok, err := s.allowed(ctx, &p, a, r)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	return denial(p, a, r)
}

// Can is Authorize as a bool. A failure to load the grants is a no.
func (s *Store) Can(ctx context.Context, p Principal, a Action, r Resource) bool {
	ok, err := s.allowed(ctx, &p, a, r)
	if err != nil {
		s.log.ErrorContext(ctx, "authorization failed", "err", err)
		return false
	}
	return ok
}

// rolesOrder is the order roles are named in a denial, weakest first.
var rolesOrder = []Role{RoleViewer, RoleConsumer, RolePublisher, RoleUnmask, RoleOwner}

// denial explains what p lacks, e.g.
// principal "bob" may not read sales.orders: it needs the consumer, publisher or owner role (or admin).
func denial(p Principal, a Action, r Resource) error {
	const op = "access.Authorize"
	bit := actionBit(a)
	if bit == 0 {
		return errs.E(errs.Forbidden, op, "principal %q may not %s %s: unknown action", p.Name, a, resourceName(r))
	}
	if r.Domain == "" || bit == bitAdmin {
		return errs.E(errs.Forbidden, op, "principal %q may not %s %s: it needs the admin role", p.Name, a, resourceName(r))
	}
	var roles []string
	for _, role := range rolesOrder {
		if roleActions[role]&bit != 0 {
			roles = append(roles, string(role))
		}
	}
	return errs.E(errs.Forbidden, op, "principal %q may not %s %s: it needs the %s role (or admin)", p.Name, a, resourceName(r), orList(roles))
}

// resourceName is how a denial names r: domain.product, domain, or the platform.
func resourceName(r Resource) string {
	switch {
	case r.Domain == "":
		return "the platform"
	case r.Product == "":
		return r.Domain
	}
	return r.Domain + "." + r.Product
}

// orList joins "a", "b", "c" as "a, b or c".
func orList(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return fmt.Sprintf("%s or %s", strings.Join(xs[:len(xs)-1], ", "), xs[len(xs)-1])
}
