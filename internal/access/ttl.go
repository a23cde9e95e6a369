package access

import (
	"strconv"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// ParseTTL reads a lifetime such as "30d", "12h", "2w" or any Go duration
// ("90m", "1h30m"). "" is zero: no expiry. Lifetimes must be positive and
// at most ten years.
func ParseTTL(s string) (time.Duration, error) {
	const op = "access.ParseTTL"
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	var d time.Duration
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}[s[len(s)-1]]
	if n, err := strconv.ParseInt(s[:len(s)-1], 10, 64); unit != 0 && err == nil && n > 0 && n <= 10*366 {
		d = time.Duration(n) * unit
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, errs.E(errs.Invalid, op, "expiry %q is not a duration like 30d, 12h or 2w", s)
	}
	if d <= 0 || d > 10*365*24*time.Hour+48*time.Hour {
		return 0, errs.E(errs.Invalid, op, "expiry %q must be positive and at most 10 years", s)
	}
	return d, nil
}
