package errs

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestKindAndPublic(t *testing.T) {
	secret := errors.New("open /srv/mesh-data/warehouse/x: permission denied")
	tests := []struct {
		name        string
		err         error
		kind        Kind
		msg         string
		leaksSecret bool
	}{
		{"plain error is internal", secret, Internal, "internal error", false},
		{"kind and message", E(NotFound, "registry.Table", "table %s does not exist", "a.b.c"), NotFound, "table a.b.c does not exist", false},
		{"wrapped cause stays private", Wrap(Invalid, "publish.stage", secret, "the file cannot be read"), Invalid, "the file cannot be read", false},
		{"fmt-wrapped keeps the kind", fmt.Errorf("apply: %w", E(Conflict, "apply", "version exists")), Conflict, "version exists", false},
		{"outer internal wrapper keeps the inner kind", Wrap(Internal, "x", E(Forbidden, "y", "no grant"), "boom"), Forbidden, "no grant", false},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), Timeout, "the operation ran past its deadline", false},
		{"canceled", context.Canceled, Canceled, "the request was canceled", false},
		{"internal with message hides it", Wrap(Internal, "lake.Commit", secret, "stage commit of a.b.c"), Internal, "internal error", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.kind {
				t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.kind)
			}
			kind, msg, _ := Public(tt.err)
			if kind != tt.kind || msg != tt.msg {
				t.Errorf("Public(%v) = %v %q, want %v %q", tt.err, kind, msg, tt.kind, tt.msg)
			}
		})
	}
}

func TestDetailsAndString(t *testing.T) {
	e := WithDetails(E(GateFailed, "publish", "gate failed"), map[string]int{"rows": 3})
	_, _, details := Public(fmt.Errorf("wrapped: %w", e))
	if d, ok := details.(map[string]int); !ok || d["rows"] != 3 {
		t.Errorf("Public details = %#v, want the report", details)
	}
	if got, want := e.Error(), "publish: gate failed"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if Wrap(Invalid, "x", nil, "y") != nil {
		t.Errorf("Wrap(nil) != nil")
	}
	for k := Internal; k <= Canceled; k++ {
		if k.String() == "" || (k != Internal && k.String() == "internal") {
			t.Errorf("Kind(%d).String() = %q", k, k.String())
		}
	}
}
