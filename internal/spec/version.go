package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a contract's semantic version, MAJOR.MINOR.PATCH with an
// optional pre-release; build metadata is kept in the text but, as semver
// says, does not order versions.
type Version struct {
	Major, Minor, Patch int
	Pre                 string // pre-release, e.g. "rc.1"
	Text                string // as written
}

// ParseVersion reads a semantic version. A contract's major version decides
// which tables it owns, so anything looser is refused rather than guessed.
func ParseVersion(s string) (Version, error) {
	v := Version{Text: s}
	core, _, _ := strings.Cut(s, "+")
	core, v.Pre, _ = strings.Cut(core, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("version %q is not a semantic version MAJOR.MINOR.PATCH (e.g. 1.2.0)", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || (len(p) > 1 && p[0] == '0') || len(p) > 9 {
			return Version{}, fmt.Errorf("version %q is not a semantic version MAJOR.MINOR.PATCH (e.g. 1.2.0)", s)
		}
		switch i {
		case 0:
			v.Major = n
		case 1:
			v.Minor = n
		default:
			v.Patch = n
		}
	}
	return v, nil
}

// Compare orders versions as semver does: -1, 0 or +1.
func (v Version) Compare(w Version) int {
	for _, d := range [3]int{v.Major - w.Major, v.Minor - w.Minor, v.Patch - w.Patch} {
		switch {
		case d < 0:
			return -1
		case d > 0:
			return 1
		}
	}
	switch {
	case v.Pre == w.Pre:
		return 0
	case v.Pre == "":
		return 1 // a release comes after its pre-releases
	case w.Pre == "":
		return -1
	}
	return comparePre(v.Pre, w.Pre)
}

// comparePre orders pre-release identifiers: numeric ones numerically and
// before alphanumeric ones, then by length.
func comparePre(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		an, aerr := strconv.Atoi(as[i])
		bn, berr := strconv.Atoi(bs[i])
		switch {
		case aerr == nil && berr == nil:
			if an != bn {
				if an < bn {
					return -1
				}
				return 1
			}
		case aerr == nil:
			return -1
		case berr == nil:
			return 1
		default:
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
		}
	}
	switch {
	case len(as) < len(bs):
		return -1
	case len(as) > len(bs):
		return 1
	}
	return 0
}

func (v Version) String() string { return v.Text }
