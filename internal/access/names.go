package access

import (
	"regexp"
	"slices"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
)

var (
	principalRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$`)
	groupRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	objectRE    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`) // domains and products, as everywhere in the mesh
	attrKeyRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)
)

// Limits on what a token's principal may carry.
const (
	maxGroups     = 256
	maxAttrs      = 64
	maxAttrValues = 256
	maxAttrValue  = 1024
)

// groupPrefix marks a grant subject that is a group.
const groupPrefix = "group:"

func checkPrincipal(op, name string) error {
	if !principalRE.MatchString(name) {
		return errs.E(errs.Invalid, op, "principal name %q is not valid: 1 to 128 letters, digits and . _ @ : -, starting with a letter or digit", name)
	}
	return nil
}

func checkGroup(op, name string) error {
	if !groupRE.MatchString(name) {
		return errs.E(errs.Invalid, op, "group name %q is not valid: 1 to 64 lower-case letters, digits and . _ -, starting with a letter or digit", name)
	}
	return nil
}

func checkObject(op, what, name string) error {
	if !objectRE.MatchString(name) {
		return errs.E(errs.Invalid, op, "%s name %q is not valid: [a-z][a-z0-9_]*, at most 63 characters", what, name)
	}
	return nil
}

// checkSubject validates a grant subject: a principal name or "group:NAME".
func checkSubject(op, subject string) error {
	if g, ok := strings.CutPrefix(subject, groupPrefix); ok {
		return checkGroup(op, g)
	}
	if subject == "" {
		return errs.E(errs.Invalid, op, "the subject is required: a principal name or group:NAME")
	}
	return checkPrincipal(op, subject)
}

// normGroups validates groups and returns them sorted and unique. nil stays nil.
func normGroups(op string, groups []string) ([]string, error) {
	if groups == nil {
		return nil, nil
	}
	if len(groups) > maxGroups {
		return nil, errs.E(errs.Invalid, op, "too many groups: %d, at most %d", len(groups), maxGroups)
	}
	for _, g := range groups {
		if err := checkGroup(op, g); err != nil {
			return nil, err
		}
	}
	out := slices.Clone(groups)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// checkAttrs validates a principal's attributes (used by row filters).
func checkAttrs(op string, attrs map[string][]string) error {
	if len(attrs) > maxAttrs {
		return errs.E(errs.Invalid, op, "too many attributes: %d, at most %d", len(attrs), maxAttrs)
	}
	for k, vs := range attrs {
		if !attrKeyRE.MatchString(k) {
			return errs.E(errs.Invalid, op, "attribute name %q is not valid: 1 to 64 letters, digits and _ . -, starting with a letter or _", k)
		}
		if len(vs) > maxAttrValues {
			return errs.E(errs.Invalid, op, "attribute %s has %d values, at most %d", k, len(vs), maxAttrValues)
		}
		for _, v := range vs {
			if len(v) > maxAttrValue {
				return errs.E(errs.Invalid, op, "a value of attribute %s is longer than %d bytes", k, maxAttrValue)
			}
		}
	}
	return nil
}
