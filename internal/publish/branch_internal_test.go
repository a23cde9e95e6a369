package publish

import "testing"

func TestPromotes(t *testing.T) {
	for _, c := range []struct {
		got, want string
		ok        bool
	}{
		{"BIGINT", "BIGINT", true},
		{"integer", "BIGINT", true},
		{"FLOAT", "DOUBLE", true},
		{"DECIMAL(10,2)", "DECIMAL(15,2)", true},
		{"DECIMAL(15,2)", "DECIMAL(10,2)", false},
		{"DECIMAL(15,3)", "DECIMAL(15,2)", false},
		{"BIGINT", "INTEGER", false},
		{"VARCHAR", "INTEGER", false},
		{"TIMESTAMP", "TIMESTAMP WITH TIME ZONE", false},
	} {
		if got := promotes(c.got, c.want); got != c.ok {
			t.Errorf("promotes(%q, %q) = %v, want %v", c.got, c.want, got, c.ok)
		}
	}
}
