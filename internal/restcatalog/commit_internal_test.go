package restcatalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
)

// TestCommitError checks the answers to failed commits: a commit that may
// have landed is a 500 CommitStateUnknownException, never a 4xx (the client
// would delete files a committed snapshot references), even when the
// request's context was canceled meanwhile.
func TestCommitError(t *testing.T) {
	s := &server{log: slog.New(slog.DiscardHandler)}
	id := lake.Ident{Domain: "d", Product: "p", Table: "t"}
	unknown := errs.Wrap(errs.Internal, "lake.CommitTable", fmt.Errorf("%w: %w", lake.ErrUnknownOutcome, context.Canceled), "commit")
	for _, c := range []struct {
		name   string
		err    error
		status int
		typ    string
	}{
		{"unknown outcome", unknown, 500, commitUnknown},
		{"unclassified", errors.New("disk on fire"), 500, commitUnknown},
		{"requirement", errs.Wrap(errs.Conflict, "lake.CommitTable", lake.ErrRequirement, "branch b has changed"), 409, commitFailed},
		{"bad update", errs.E(errs.Invalid, "lake.CommitTable", "cannot apply"), 400, "BadRequestException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "/v1/namespaces/d%1Fp/tables/t", nil)
			s.fail(w, r, commitError("iceberg.commit", id, c.err))
			var body struct{ Error errorModel }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if w.Code != c.status || body.Error.Type != c.typ || body.Error.Code != c.status {
				t.Errorf("commitError(%v) answers %d %+v, want %d %s", c.err, w.Code, body.Error, c.status, c.typ)
			}
		})
	}
}
