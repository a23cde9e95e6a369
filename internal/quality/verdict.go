package quality

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/meshwork/meshwork/internal/spec"
)

// expectation describes the rule's operator and checks that its operand is a number.
func expectation(r spec.Rule) (string, error) {
	num := func(name string, v any) (string, error) {
		if _, ok := toFloat(v); !ok {
			return "", fmt.Errorf("%s needs a number, got %v", name, v)
		}
		return fmt.Sprintf("%s %v", name, v), nil
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	switch {
	case r.MustBe != nil:
		return num("mustBe", r.MustBe)
	case r.MustNotBe != nil:
		return num("mustNotBe", r.MustNotBe)
	case r.MustBeGreaterThan != nil:
		return "mustBeGreaterThan " + f(*r.MustBeGreaterThan), nil
	case r.MustBeGreaterOrEqualTo != nil:
		return "mustBeGreaterOrEqualTo " + f(*r.MustBeGreaterOrEqualTo), nil
	case r.MustBeLessThan != nil:
		return "mustBeLessThan " + f(*r.MustBeLessThan), nil
	case r.MustBeLessOrEqualTo != nil:
		return "mustBeLessOrEqualTo " + f(*r.MustBeLessOrEqualTo), nil
	case r.MustBeBetween != nil:
		return fmt.Sprintf("mustBeBetween [%s, %s]", f(r.MustBeBetween[0]), f(r.MustBeBetween[1])), nil
	case r.MustNotBeBetween != nil:
		return fmt.Sprintf("mustNotBeBetween [%s, %s]", f(r.MustNotBeBetween[0]), f(r.MustNotBeBetween[1])), nil
	}
	return "", fmt.Errorf("no operator")
}

// passes applies the rule's operator to a measured value.
func passes(r spec.Rule, v float64) bool {
	switch {
	case r.MustBe != nil:
		x, _ := toFloat(r.MustBe)
		return v == x
	case r.MustNotBe != nil:
		x, _ := toFloat(r.MustNotBe)
		return v != x
	case r.MustBeGreaterThan != nil:
		return v > *r.MustBeGreaterThan
	case r.MustBeGreaterOrEqualTo != nil:
		return v >= *r.MustBeGreaterOrEqualTo
	case r.MustBeLessThan != nil:
		return v < *r.MustBeLessThan
	case r.MustBeLessOrEqualTo != nil:
		return v <= *r.MustBeLessOrEqualTo
	case r.MustBeBetween != nil:
		return v >= r.MustBeBetween[0] && v <= r.MustBeBetween[1]
	case r.MustNotBeBetween != nil:
		return v < r.MustNotBeBetween[0] || v > r.MustNotBeBetween[1]
	}
	return false
}

// blocking reports whether a failure of the rule fails the gate: every rule
// does, unless its severity says it is only a warning or information.
func blocking(r spec.Rule) bool {
	switch strings.ToLower(r.Severity) {
	case "warning", "warn", "info", "information", "informational", "low":
		return false
	}
	return true
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}
