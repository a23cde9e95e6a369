package query

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// TestUserErrorKeepsInternal checks that an error the platform itself marked
// Internal (a broken data file, a catalog failure) stays Internal: its text
// names server paths and internal relations, and it is not the client's fault.
func TestUserErrorKeepsInternal(t *testing.T) {
	cause := errors.New("Invalid Input Error: No magic bytes found at end of file '/srv/mesh-data/warehouse/a/b/c/data/x/part-0.parquet'")
	tests := []struct {
		name string
		err  error
		kind errs.Kind
		msg  string
	}{
		{"internal from the binder", errs.Wrap(errs.Internal, "query.relation", cause, "read data file schemas of a.b.c"), errs.Internal, "internal error"},
		{"internal wrapping a kind keeps the kind", errs.Wrap(errs.Internal, "x", errs.E(errs.NotFound, "y", "table a.b.c does not exist"), "bind"), errs.NotFound, "table a.b.c does not exist"},
		{"invalid stays invalid", errs.E(errs.Invalid, "query.Guard", "only SELECT statements are allowed"), errs.Invalid, "only SELECT statements are allowed"},
		{"a DuckDB error about the query is shown", errors.New("Binder Error: Referenced column \"x\" not found"), errs.Invalid, "Binder Error: Referenced column \"x\" not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := userError(context.Background(), tt.err, time.Minute, []string{"/srv/mesh-data/warehouse"}, false)
			kind, msg, _ := errs.Public(err)
			if kind != tt.kind || msg != tt.msg {
				t.Errorf("userError(%v) = %v %q, want %v %q", tt.err, kind, msg, tt.kind, tt.msg)
			}
			if strings.Contains(msg, "/srv/") || strings.Contains(msg, "query.relation") {
				t.Errorf("userError(%v) message %q leaks internal text", tt.err, msg)
			}
		})
	}
}
