package spec

import (
	"fmt"
	"regexp"

	"github.com/meshwork/meshwork/internal/errs"
)

// MaxNameLength is the longest mesh name: PostgreSQL's identifier limit, the
// tightest of the systems a name ends up in.
const MaxNameLength = 63

// meshName is the shape of every name that becomes part of an address
// (domain.product.table, column names): safe as a path segment, an Iceberg
// namespace and an unquoted SQL identifier alike, so it is never escaped.
var meshName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ValidName reports whether s may be used as a mesh name.
func ValidName(s string) bool { return nameProblem(s) == "" }

// ReservedDomain reports whether s is reserved and may not name a domain.
// They would collide with DuckDB's and PostgreSQL's own catalogs and schemas
// once a domain becomes a SQL catalog name.
func ReservedDomain(s string) bool {
	switch s {
	case "memory", "system", "temp", "main", "information_schema", "pg_catalog":
		return true
	}
	return false
}

// CheckName returns an errs.Invalid error explaining why s is not a valid
// mesh name, or nil. what names the field, e.g. "domain" or "column".
func CheckName(what, s string) error {
	if p := nameProblem(s); p != "" {
		return errs.E(errs.Invalid, "spec.CheckName", "%s", nameMessage(what, s, p))
	}
	return nil
}

// CheckDomain is CheckName for a domain, which also may not be reserved.
func CheckDomain(s string) error {
	if err := CheckName("domain", s); err != nil {
		return err
	}
	if ReservedDomain(s) {
		return errs.E(errs.Invalid, "spec.CheckDomain", "%s", reservedMessage(s))
	}
	return nil
}

func nameProblem(s string) string {
	switch {
	case len(s) > MaxNameLength:
		return fmt.Sprintf("at most %d characters", MaxNameLength)
	case !meshName.MatchString(s):
		return "use lower-case letters, digits and _ starting with a letter"
	}
	return ""
}

// nameMessage quotes the bad value (shortened, and escaped so that control
// characters and look-alike unicode are visible) and says the rule.
func nameMessage(what, s, problem string) string {
	shown := s
	if len(shown) > 80 {
		shown = shown[:80] + "..."
	}
	return fmt.Sprintf("%s %+q is not a valid mesh name: %s", what, shown, problem)
}

func reservedMessage(s string) string {
	return fmt.Sprintf("domain %q is reserved: choose another name (reserved: information_schema, main, memory, pg_catalog, system, temp)", s)
}
