package access

import (
	"context"
	"sort"
)

// Scopes returns where p may do a, from the same grants Can evaluates: all
// is true when p may do it everywhere (admin); otherwise each Resource is a
// whole domain (Product empty) or one product on which p may. For every
// product resource r, Can(p, a, r) holds exactly when all is true or some
// scope is r's domain or r itself.
//
// It lets a listing of many products (search) decide visibility once per
// request, instead of asking Can for each product.
func (s *Store) Scopes(ctx context.Context, p Principal, a Action) (all bool, scopes []Resource, err error) {
	bit := actionBit(a)
	if bit == 0 || p.Name == "" {
		return false, nil, nil
	}
	sn, err := s.snapshot(ctx)
	if err != nil {
		return false, nil, err
	}
	now := s.now().UnixNano()
	seen := map[Resource]bool{}
	add := func(es []entry) bool {
		for i := range es {
			e := &es[i]
			if e.expires != 0 && e.expires <= now {
				continue
			}
			if e.role == RoleAdmin {
				return true
			}
			if e.actions&bit == 0 || e.domain == "" {
				continue
			}
			seen[Resource{Domain: e.domain, Product: e.product}] = true
		}
		return false
	}
	if add(sn.users[p.Name]) {
		return true, nil, nil
	}
	for _, g := range p.Groups {
		if add(sn.groups[g]) {
			return true, nil, nil
		}
	}
	for r := range seen {
		// A product scope inside a whole-domain scope adds nothing.
		if r.Product != "" && seen[Resource{Domain: r.Domain}] {
			continue
		}
		scopes = append(scopes, r)
	}
	sort.Slice(scopes, func(i, j int) bool {
		if scopes[i].Domain != scopes[j].Domain {
			return scopes[i].Domain < scopes[j].Domain
		}
		return scopes[i].Product < scopes[j].Product
	})
	return false, scopes, nil
}
