package demo

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/meshwork/meshwork/internal/access"
)

// Domains are the demo mesh's domains.
var Domains = []string{"customers", "sales", "supply"}

// Token is a demo principal's credential.
type Token struct {
	Principal string
	Role      string // what it may do, in words
	Secret    string
}

// Europe is the TPC-H nation keys of Europe: the demo's region-filtered
// analyst sees only customers of these nations.
var Europe = []string{"6", "7", "19", "22", "23"}

// Staff is the group every demo principal is in. It may discover every
// domain (the viewer role): anyone finds any product and may ask for
// access to it, as in a company's catalog.
const Staff = "staff"

// Tokens creates the demo principals and their grants: for each domain an
// owner, a publisher and a consumer; an analyst who consumes every domain;
// and a European analyst whose customer rows are filtered to Europe. All
// are in the group Staff, which may discover every domain.
func Tokens(ctx context.Context, s *access.Store) ([]Token, error) {
	for _, d := range Domains {
		if _, err := s.AddGrant(ctx, "demo", access.Grant{Role: access.RoleViewer, Subject: "group:" + Staff, Domain: d}); err != nil {
			return nil, fmt.Errorf("demo: grant for group %s: %w", Staff, err)
		}
	}
	var out []Token
	add := func(name, role string, attrs map[string][]string, grants ...access.Grant) error {
		_, secret, err := s.CreateToken(ctx, "demo", name, []string{Staff}, attrs, 0)
		if err != nil {
			return fmt.Errorf("demo: token for %s: %w", name, err)
		}
		for _, g := range grants {
			g.Subject = name
			if _, err := s.AddGrant(ctx, "demo", g); err != nil {
				return fmt.Errorf("demo: grant for %s: %w", name, err)
			}
		}
		out = append(out, Token{Principal: name, Role: role, Secret: secret})
		return nil
	}
	for _, d := range Domains {
		for _, r := range []access.Role{access.RoleOwner, access.RolePublisher, access.RoleConsumer} {
			if err := add(d+"-"+string(r), fmt.Sprintf("%s of %s", r, d), nil, access.Grant{Role: r, Domain: d}); err != nil {
				return nil, err
			}
		}
	}
	var all []access.Grant
	for _, d := range Domains {
		all = append(all, access.Grant{Role: access.RoleConsumer, Domain: d})
	}
	if err := add("analyst", "consumer of every domain (PII masked)", nil, all...); err != nil {
		return nil, err
	}
	if err := add("analyst-europe", "consumer of every domain, customer rows of Europe only", map[string][]string{"nation": Europe}, all...); err != nil {
		return nil, err
	}
	return out, nil
}

// WriteTokens prints tokens as a table.
func WriteTokens(w io.Writer, ts []Token) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRINCIPAL\tMAY\tTOKEN")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Principal, t.Role, t.Secret)
	}
	return tw.Flush()
}
