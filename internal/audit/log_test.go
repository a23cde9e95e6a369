package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
)

func openDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := registry.OpenSQLite(filepath.Join(t.TempDir(), "mesh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openLog opens a log on db, logging into buf if it is not nil, and closes
// it when the test ends.
func openLog(t testing.TB, db *sql.DB, buf *bytes.Buffer) *Log {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	if buf != nil {
		logger = slog.New(slog.NewTextHandler(buf, nil))
	}
	l, err := Open(context.Background(), db, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func event(i int) Event {
	return Event{Principal: fmt.Sprintf("user%d", i), Action: "query", Resource: "sales.orders", Outcome: OK}
}

// appendN appends events from..to-1 and flushes.
func appendN(t testing.TB, l *Log, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		l.Append(event(i), map[string]int{"i": i})
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func all(t testing.TB, l *Log) []Event {
	t.Helper()
	es, err := l.Since(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// refHash is the documented encoding written out again, independently of
// canonical, from an Event as Since returns it.
func refHash(e Event) string {
	h := sha256.New()
	h.Write([]byte("meshwork.audit.v1\x00"))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(e.Seq)))
	for _, f := range []string{e.Time.UTC().Format("2006-01-02T15:04:05.000000000Z07:00"), e.Principal, e.Action, e.Resource, e.Outcome, string(e.Details), e.Prev} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkChain checks that es are seqs 1..len(es), each linked to the one before
// and hashed as documented.
func checkChain(t *testing.T, es []Event) {
	t.Helper()
	prev := ""
	for i, e := range es {
		if e.Seq != int64(i+1) {
			t.Fatalf("record %d: Seq = %d, want %d", i, e.Seq, i+1)
		}
		if e.Prev != prev {
			t.Fatalf("record %d: Prev = %s, want %s", e.Seq, e.Prev, prev)
		}
		if got := refHash(e); e.Hash != got {
			t.Fatalf("record %d: Hash = %s, want %s", e.Seq, e.Hash, got)
		}
		prev = e.Hash
	}
}

func TestAppendConcurrent(t *testing.T) {
	// More records than the queue holds, so Append also blocks, and many batches.
	const goroutines, each = 8, 700
	ctx := context.Background()
	l := openLog(t, openDB(t), nil)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				l.Append(Event{Principal: fmt.Sprintf("g%d", g), Action: "query", Resource: fmt.Sprintf("r%d", i), Outcome: OK},
					map[string]int{"g": g, "i": i})
			}
		})
	}
	wg.Wait()
	if err := l.Flush(ctx); err != nil {
		t.Fatalf("Flush() = %v, want nil", err)
	}
	es := all(t, l)
	if len(es) != goroutines*each {
		t.Fatalf("Since(0) returned %d records, want %d", len(es), goroutines*each)
	}
	checkChain(t, es)

	// Every event is there once, and each goroutine's events are in the order it appended them.
	next := make(map[string]int)
	for _, e := range es {
		var d struct{ G, I int }
		if err := json.Unmarshal(e.Details, &d); err != nil {
			t.Fatalf("record %d: details %s: %v", e.Seq, e.Details, err)
		}
		if d.I != next[e.Principal] || e.Resource != fmt.Sprintf("r%d", d.I) || e.Principal != fmt.Sprintf("g%d", d.G) {
			t.Fatalf("record %d = %s %s %s, want g%d's event %d", e.Seq, e.Principal, e.Resource, e.Details, d.G, next[e.Principal])
		}
		next[e.Principal]++
	}

	rep, err := l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Report{Records: goroutines * each, OK: true, Head: es[len(es)-1].Hash}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("Verify() mismatch (-want +got):\n%s", diff)
	}
	seq, hash, err := l.Head(ctx)
	if err != nil || seq != goroutines*each || hash != rep.Head {
		t.Errorf("Head() = %d, %s, %v, want %d, %s, nil", seq, hash, err, goroutines*each, rep.Head)
	}
}

func TestAppendFields(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, openDB(t), nil)
	l.Append(Event{Seq: 99, Prev: "forged", Hash: "forged", Principal: "alice", Action: "publish", Resource: "sales.orders", Outcome: Failed},
		map[string]string{"reason": "quality gate"})
	l.Append(Event{Action: "auth", Outcome: Denied, Details: json.RawMessage(`{ "method" : "token" }`)}, nil)
	l.Append(Event{Action: "apply", Outcome: OK}, func() {})
	l.Append(Event{Action: "query", Outcome: OK}, nil)
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	es := all(t, l)
	checkChain(t, es)
	type row struct {
		Seq                                int64
		Principal, Action, Resource, State string
		Details                            string
	}
	var got []row
	for _, e := range es {
		if e.Time.IsZero() || e.Time.Location().String() != "UTC" {
			t.Errorf("record %d: Time = %v, want a UTC time", e.Seq, e.Time)
		}
		got = append(got, row{e.Seq, e.Principal, e.Action, e.Resource, e.Outcome, string(e.Details)})
	}
	want := []row{
		{1, "alice", "publish", "sales.orders", Failed, `{"reason":"quality gate"}`},
		{2, "", "auth", "", Denied, `{"method":"token"}`},
		{3, "", "apply", "", OK, `{"error":"unmarshalable details"}`},
		{4, "", "query", "", OK, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Since(0) mismatch (-want +got):\n%s", diff)
	}
}

func TestAppendWithoutActionDropped(t *testing.T) {
	var buf bytes.Buffer
	l := openLog(t, openDB(t), &buf)
	l.Append(Event{Principal: "alice", Outcome: OK}, nil)
	appendN(t, l, 0, 1)
	if es := all(t, l); len(es) != 1 || es[0].Principal != "user0" {
		t.Errorf("Since(0) = %+v, want only user0's event", es)
	}
	if !strings.Contains(buf.String(), "level=ERROR") {
		t.Errorf("log = %q, want an error", buf.String())
	}
}

func TestSince(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, openDB(t), nil)
	appendN(t, l, 0, 10)
	tests := []struct {
		seq   int64
		limit int
		want  []int64
	}{
		{0, 3, []int64{1, 2, 3}},
		{8, 0, []int64{9, 10}},
		{8, -1, []int64{9, 10}},
		{4, 2, []int64{5, 6}},
		{10, 5, nil},
		{-5, 1, []int64{1}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d,%d", tt.seq, tt.limit), func(t *testing.T) {
			es, err := l.Since(ctx, tt.seq, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, e := range es {
				got = append(got, e.Seq)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Since(%d, %d) seqs mismatch (-want +got):\n%s", tt.seq, tt.limit, diff)
			}
		})
	}
}

func TestEmptyLog(t *testing.T) {
	ctx := context.Background()
	l := openLog(t, openDB(t), nil)
	rep, err := l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Report{OK: true}, rep); diff != "" {
		t.Errorf("Verify() mismatch (-want +got):\n%s", diff)
	}
	if seq, hash, err := l.Head(ctx); seq != 0 || hash != "" || err != nil {
		t.Errorf("Head() = %d, %q, %v, want 0, \"\", nil", seq, hash, err)
	}
}

func TestCloseFlushes(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	l := openLog(t, db, nil)
	for i := range 1000 {
		l.Append(event(i), nil)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
	es := all(t, l)
	if len(es) != 1000 {
		t.Fatalf("after Close, Since(0) returned %d records, want 1000", len(es))
	}
	checkChain(t, es)
	if err := l.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if err := l.Flush(ctx); err != nil {
		t.Errorf("Flush() after Close = %v, want nil", err)
	}
}

func TestAppendAfterClose(t *testing.T) {
	var buf bytes.Buffer
	l := openLog(t, openDB(t), &buf)
	appendN(t, l, 0, 2)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Append(event(3), nil) // must not panic
	if es := all(t, l); len(es) != 2 {
		t.Errorf("Since(0) returned %d records, want 2: the append after Close is dropped", len(es))
	}
	if !strings.Contains(buf.String(), "after close dropped") {
		t.Errorf("log = %q, want the dropped event logged", buf.String())
	}
}

func TestReopenContinuesChain(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	l := openLog(t, db, nil)
	appendN(t, l, 0, 5)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, db, nil)
	appendN(t, l, 5, 10)
	es := all(t, l)
	if len(es) != 10 {
		t.Fatalf("Since(0) returned %d records, want 10", len(es))
	}
	checkChain(t, es)
	if rep, err := l.Verify(ctx); err != nil || !rep.OK {
		t.Errorf("Verify() = %+v, %v, want OK", rep, err)
	}
}

// TestTwoLogsOneDB: two processes (replicas) appending to one database keep
// one chain, because each batch reads the head inside its write transaction.
func TestTwoLogsOneDB(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	a, b := openLog(t, db, nil), openLog(t, db, nil)
	var wg sync.WaitGroup
	for _, l := range []*Log{a, b} {
		wg.Go(func() { appendN(t, l, 0, 600) })
	}
	wg.Wait()
	es := all(t, a)
	if len(es) != 1200 {
		t.Fatalf("Since(0) returned %d records, want 1200", len(es))
	}
	checkChain(t, es)
	if rep, err := b.Verify(ctx); err != nil || !rep.OK {
		t.Errorf("Verify() = %+v, %v, want OK", rep, err)
	}
}

func TestFlushCanceled(t *testing.T) {
	l := openLog(t, openDB(t), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Flush(ctx); !errs.Is(err, errs.Canceled) {
		t.Errorf("Flush(canceled) = %v, want a Canceled error", err)
	}
	if _, err := l.Verify(ctx); !errs.Is(err, errs.Canceled) {
		t.Errorf("Verify(canceled) = %v, want a Canceled error", err)
	}
}

// TestCommitFailure: when the store refuses a batch the writer retries, then
// logs the failure and reports it to the next Flush, and carries on.
func TestCommitFailure(t *testing.T) {
	saved := retryDelays
	retryDelays = []time.Duration{time.Millisecond, time.Millisecond}
	t.Cleanup(func() { retryDelays = saved })

	ctx := context.Background()
	var buf bytes.Buffer
	db := openDB(t)
	l := openLog(t, db, &buf)
	appendN(t, l, 0, 3)
	if _, err := db.Exec(`ALTER TABLE mesh_audit RENAME TO mesh_audit_moved`); err != nil {
		t.Fatal(err)
	}
	l.Append(Event{Principal: "alice", Action: "query", Outcome: OK}, map[string]string{"secret": "s3cr3t"})
	err := l.Flush(ctx)
	if !errs.Is(err, errs.Unavailable) {
		t.Errorf("Flush() after a failed commit = %v, want an Unavailable error", err)
	}
	logged := buf.String()
	if !strings.Contains(logged, "level=ERROR") || !strings.Contains(logged, "attempts=3") {
		t.Errorf("log = %q, want an error after 3 attempts", logged)
	}
	if strings.Contains(logged, "s3cr3t") || strings.Contains(logged, "alice") {
		t.Errorf("log = %q, want no record contents", logged)
	}

	if _, err := db.Exec(`ALTER TABLE mesh_audit_moved RENAME TO mesh_audit`); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 3, 5) // the failure was reported once; the log carries on
	es := all(t, l)
	if got := len(es); got != 5 {
		t.Errorf("Since(0) returned %d records, want 5", got)
	}
	checkChain(t, es)
	if !slices.ContainsFunc(es, func(e Event) bool { return e.Principal == "user4" }) {
		t.Errorf("Since(0) = %+v, want user4's event", es)
	}
}
