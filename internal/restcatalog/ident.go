package restcatalog

import (
	"regexp"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
)

// unitSeparator joins the levels of a namespace in a URL path segment (sent
// as %1F) and in the parent query parameter.
const unitSeparator = "\x1f"

var (
	// meshName is a domain, product or table name, as everywhere in the mesh.
	meshName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	// productLevel is a namespace's second level: product or product@vN.
	productLevel = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}(@v[1-9][0-9]{0,5})?$`)
)

// namespace is a parsed Iceberg namespace: [domain] or [domain, level], where
// level is the product's name or product@vN.
type namespace struct {
	Domain string
	Level  string // "" for a domain
}

// product is the product the namespace is of ("" for a domain).
func (n namespace) product() string {
	p, _, _ := strings.Cut(n.Level, "@")
	return p
}

func (n namespace) levels() []string {
	if n.Level == "" {
		return []string{n.Domain}
	}
	return []string{n.Domain, n.Level}
}

func (n namespace) String() string { return strings.Join(n.levels(), ".") }

// parseNamespace parses a namespace as sent in a path or a parent
// parameter: levels joined by the unit separator.
func parseNamespace(s string) (namespace, error) {
	const op = "iceberg.namespace"
	if s == "" {
		return namespace{}, errs.E(errs.Invalid, op, "the namespace is empty")
	}
	parts := strings.Split(s, unitSeparator)
	if len(parts) > 2 {
		return namespace{}, errs.E(errs.Invalid, op, "namespace %q has %d levels: mesh namespaces are [domain] or [domain, product]", printable(s), len(parts))
	}
	if !meshName.MatchString(parts[0]) {
		return namespace{}, errs.E(errs.Invalid, op, "bad domain %q in namespace: a name is lowercase letters, digits and _, starting with a letter", printable(parts[0]))
	}
	n := namespace{Domain: parts[0]}
	if len(parts) == 2 {
		if !productLevel.MatchString(parts[1]) {
			return namespace{}, errs.E(errs.Invalid, op, "bad product %q in namespace: want a product name, or product@vN for a later major version", printable(parts[1]))
		}
		n.Level = parts[1]
	}
	return n, nil
}

// parseTable checks a table name from a path.
func parseTable(s string) (string, error) {
	if !meshName.MatchString(s) {
		return "", errs.E(errs.Invalid, "iceberg.table", "bad table name %q: a name is lowercase letters, digits and _, starting with a letter", printable(s))
	}
	return s, nil
}

// printable clips s for a message (which quotes it with %q, escaping
// control characters).
func printable(s string) string { return clip(s, 80) }
