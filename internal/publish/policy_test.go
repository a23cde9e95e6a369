package publish_test

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/apply"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/policy"
	"github.com/meshwork/meshwork/internal/publish"
)

var (
	payments = lake.Ident{Domain: "bank", Product: "cards", Table: "payments"}
	ledger   = lake.Ident{Domain: "bank", Product: "cards", Table: "ledger"}
	clicks   = lake.Ident{Domain: "bank", Product: "cards", Table: "clicks"}
)

// newCards opens a platform in a temporary directory, applies
// testdata/cards.yaml, and returns it with a Publisher over it whose policy
// gate is gate (nil: none).
func newCards(t *testing.T, gate publish.PolicyGate) (*platform.Platform, *publish.Publisher) {
	t.Helper()
	ctx := admin()
	dir := t.TempDir()
	c := platform.Defaults(dir)
	c.MemoryLimit, c.Threads = "1GB", 2
	p, err := platform.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	data, err := os.ReadFile("testdata/cards.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Applier.Apply(ctx, []apply.Source{{Name: "cards.yaml", Data: data}}, false); err != nil {
		t.Fatalf("apply testdata/cards.yaml: %v", err)
	}
	return p, newPublisher(p, dir, gate)
}

// newPublisher is a Publisher over the platform in dir with another policy gate.
func newPublisher(p *platform.Platform, dir string, gate publish.PolicyGate) *publish.Publisher {
	c := publish.Config{DuckDB: p.DuckDB, Lake: p.Lake, Registry: p.Registry, Guard: p.Engine.Guard(),
		Policy: gate, Spool: filepath.Join(dir, "spool"), MaxBytes: 1 << 30, Logger: slog.New(slog.DiscardHandler)}
	return publish.New(c)
}

// cardGate denies a publish whose card_number column holds values that are
// not hashed, as a Rego rule would; it records what it was asked.
type cardGate struct {
	mu     sync.Mutex
	inputs []policy.PublishInput
	err    error
}

// MeasurePublish asks for every classified column, so the tests see every statistic.
func (g *cardGate) MeasurePublish(_ context.Context, in policy.PublishInput) ([]string, error) {
	var names []string
	for _, c := range in.Columns {
		names = append(names, c.Name)
	}
	return names, nil
}

func (g *cardGate) CheckPublish(_ context.Context, in policy.PublishInput) ([]policy.Denial, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inputs = append(g.inputs, in)
	if g.err != nil {
		return nil, g.err
	}
	if s := in.Stats["card_number"]; s.NotHashed > 0 {
		return []policy.Denial{{Rule: "pii.card_number_hashed", Object: "bank.cards.payments.card_number",
			Message: fmt.Sprintf("card_number holds %d values that are not hashed", s.NotHashed)}}, nil
	}
	return nil, nil
}

func (g *cardGate) take() []policy.PublishInput {
	g.mu.Lock()
	defer g.mu.Unlock()
	in := g.inputs
	g.inputs = nil
	return in
}

func hexOf(sum []byte) string { return hex.EncodeToString(sum) }

func TestPolicyGate(t *testing.T) {
	sha := func(s string) string { x := sha256.Sum256([]byte(s)); return hexOf(x[:]) }
	md := func(s string) string { x := md5.Sum([]byte(s)); return hexOf(x[:]) }
	sha1of := func(s string) string { x := sha1.Sum([]byte(s)); return hexOf(x[:]) }
	sha512of := func(s string) string { x := sha512.Sum512([]byte(s)); return hexOf(x[:]) }

	gate := &cardGate{}
	p, pub := newCards(t, gate)
	ctx := context.Background()
	publishCSV := func(body string) (*publish.Report, error) {
		return pub.Publish(ctx, publish.Request{Table: payments, Mode: lake.Append, Format: publish.CSV, Body: strings.NewReader(body)})
	}
	const header = "payment_id,card_number,email,amount\n"
	first, err := publishCSV(header + "1," + sha("4111111111111111") + "," + sha("ada@example.com") + ",1\n")
	if err != nil {
		t.Fatalf("first publish: %v", err)
	}
	gate.take()
	before := files(t, p, payments)

	wantColumns := []policy.Column{
		{Name: "card_number", Type: "VARCHAR", Classification: "restricted", Custom: map[string]string{"pii": "true", "format": "pan"}},
		{Name: "email", Type: "VARCHAR", Classification: "confidential"},
	}
	tests := []struct {
		name      string
		body      string
		denied    bool
		wantRows  int64
		wantStats map[string]policy.ColumnStats
	}{
		{"card numbers in the clear",
			header + "2,4111111111111111,bob@example.com,1\n3,5500000000000004,,2\n4,,cy@example.com,3\n",
			true, 3, map[string]policy.ColumnStats{"card_number": {Nulls: 1, NotHashed: 2}, "email": {Nulls: 1, NotHashed: 2}}},
		{"almost digests",
			// 63 hex digits, a non-hex letter, a prefix, and a digest with a trailing space.
			header + "5," + sha("a")[:63] + ",x,1\n6," + strings.Replace(sha("b"), sha("b")[:1], "g", 1) + ",x,1\n7,0x" + md("c") + ",x,1\n8,\"" + sha("d") + " \",x,1\n",
			true, 4, map[string]policy.ColumnStats{"card_number": {NotHashed: 4}, "email": {NotHashed: 4}}},
		{"digests of every length and case",
			header + "2," + sha("4111111111111111") + "," + md("bob@example.com") + ",1\n" +
				"3," + strings.ToUpper(sha("5500000000000004")) + ",,2\n" +
				"4,," + sha1of("cy@example.com") + ",3\n" +
				"5," + sha512of("4000000000000002") + "," + strings.ToUpper(md("dee@example.com")) + ",4\n",
			false, 4, map[string]policy.ColumnStats{"card_number": {Nulls: 1}, "email": {Nulls: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := publishCSV(tt.body)
			ins := gate.take()
			if len(ins) != 1 {
				t.Fatalf("the gate was asked %d times, want once", len(ins))
			}
			in := ins[0]
			if in.Table != (policy.TableRef{Domain: "bank", Product: "cards", Name: "payments"}) || in.Mode != "append" || in.Rows != tt.wantRows {
				t.Errorf("gate input = table %+v mode %q rows %d, want bank.cards.payments append %d", in.Table, in.Mode, in.Rows, tt.wantRows)
			}
			if diff := cmp.Diff(wantColumns, in.Columns); diff != "" {
				t.Errorf("gate input columns: only the classified ones (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStats, in.Stats); diff != "" {
				t.Errorf("gate input stats (-want +got):\n%s", diff)
			}
			if in.Contract["id"] != "bank-cards-contract" || in.Contract["apiVersion"] != "v3.1.0" || len(in.Contract["schema"].([]any)) != 5 {
				t.Errorf("gate input contract = id %v apiVersion %v, want the ODCS document", in.Contract["id"], in.Contract["apiVersion"])
			}

			if !tt.denied {
				if err != nil || rep.Status != publish.StatusCommitted || len(rep.Policy) != 0 {
					t.Fatalf("Publish = %+v, %v, want committed", rep, err)
				}
				return
			}
			gateFailed(t, rep, err)
			want := []policy.Denial{{Rule: "pii.card_number_hashed", Object: "bank.cards.payments.card_number",
				Message: fmt.Sprintf("card_number holds %d values that are not hashed", tt.wantStats["card_number"].NotHashed)}}
			if diff := cmp.Diff(want, rep.Policy); diff != "" {
				t.Errorf("report policy (-want +got):\n%s", diff)
			}
			_, msg, _ := errs.Public(err)
			if !strings.Contains(msg, "publishing bank.cards.payments is "+want[0].String()) || !strings.Contains(msg, "nothing was published") {
				t.Errorf("gate failure message = %q, want it to name the denial", msg)
			}
			for _, r := range append(rep.Contract, rep.Quality...) {
				if r.Blocking && !r.Passed {
					t.Errorf("check %s failed; only the policy should have", r.Name)
				}
			}
			if s := currentSnapshot(t, p, payments); s != first.SnapshotID {
				t.Errorf("current snapshot after a denial = %d, want %d", s, first.SnapshotID)
			}
			if diff := cmp.Diff(before, files(t, p, payments)); diff != "" {
				t.Errorf("files under the table after a denial (-before +after):\n%s", diff)
			}
			last, _ := p.Registry.LastPublish(ctx, "bank", "cards", "payments")
			if last == nil || last.RunID != rep.RunID || last.Status != publish.StatusGateFailed {
				t.Errorf("LastPublish = %+v, want the denied run recorded", last)
			}
		})
	}
	// Only the hashed publish is in the table.
	want := [][]string{{"1"}, {"2"}, {"3"}, {"4"}, {"5"}}
	if diff := cmp.Diff(want, rows(t, p, "SELECT payment_id FROM bank.cards.payments ORDER BY 1")); diff != "" {
		t.Errorf("published rows (-want +got):\n%s", diff)
	}
}

func TestPolicyGateError(t *testing.T) {
	gate := &cardGate{err: errs.E(errs.Unavailable, "policy.Publish", "the policy engine is not available")}
	p, pub := newCards(t, gate)
	rep, err := pub.Publish(context.Background(), publish.Request{Table: payments, Mode: lake.Append, Format: publish.CSV,
		Body: strings.NewReader("payment_id,card_number\n1,4111111111111111\n")})
	if rep != nil || !errs.Is(err, errs.Unavailable) {
		t.Fatalf("Publish with a failing gate = %+v, %v, want no report and the gate's Unavailable error", rep, err)
	}
	if _, msg, _ := errs.Public(err); msg != "the policy engine is not available" {
		t.Errorf("error message = %q, want the gate's", msg)
	}
	if s := currentSnapshot(t, p, payments); s != 0 {
		t.Errorf("current snapshot = %d, want none", s)
	}
	if f := files(t, p, payments); len(f) != 0 {
		t.Errorf("files left under the table: %v", f)
	}

	// Without a policy gate the same data is published.
	rep, err = newPublisher(p, filepath.Dir(p.Lake.Warehouse()), nil).Publish(context.Background(), publish.Request{Table: payments, Mode: lake.Append, Format: publish.CSV,
		Body: strings.NewReader("payment_id,card_number\n1,4111111111111111\n")})
	if err != nil || rep.Status != publish.StatusCommitted || rep.Policy != nil {
		t.Errorf("Publish without a policy gate = %+v, %v, want committed", rep, err)
	}
}
