package audit

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// execAll runs raw SQL on the log's tables, as an attacker with database access would.
func execAll(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// rewrite changes record seq with change and stores it with its hash
// recomputed, as an attacker who knows the encoding would.
func rewrite(t *testing.T, db *sql.DB, seq int64, change func(*record)) {
	t.Helper()
	rows, err := db.Query(selectRecords+` WHERE seq = ?`, seq)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("record %d not found", seq)
	}
	r, _, err := scanRecord(rows)
	rows.Close()
	if err != nil {
		t.Fatal(err)
	}
	change(&r)
	var h hasher
	r.hash = h.sum(&r)
	if _, err := db.Exec(`INSERT OR REPLACE INTO mesh_audit (seq, time, principal, action, resource, outcome, details, prev, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.seq, r.time, r.principal, r.action, r.resource, r.outcome, r.details, r.prev, r.hash); err != nil {
		t.Fatal(err)
	}
}

// swap exchanges the contents (all but seq) of records a and b.
func swap(a, b int) []string {
	return []string{
		sqlf(`UPDATE mesh_audit SET seq = -1 WHERE seq = %d`, a),
		sqlf(`UPDATE mesh_audit SET seq = %d WHERE seq = %d`, a, b),
		sqlf(`UPDATE mesh_audit SET seq = %d WHERE seq = -1`, b),
	}
}

func TestVerifyTampering(t *testing.T) {
	const n = 10
	p := func(seq int64, kind string) Problem { return Problem{Seq: seq, Kind: kind} }
	tests := []struct {
		name   string
		tamper func(t *testing.T, db *sql.DB)
		want   []Problem
	}{
		{"untouched", func(*testing.T, *sql.DB) {}, nil},
		{"principal", sqls(`UPDATE mesh_audit SET principal = 'mallory' WHERE seq = 4`), []Problem{p(4, Modified)}},
		{"details", sqls(`UPDATE mesh_audit SET details = '{"i":99}' WHERE seq = 5`), []Problem{p(5, Modified)}},
		{"details removed", sqls(`UPDATE mesh_audit SET details = '' WHERE seq = 5`), []Problem{p(5, Modified)}},
		{"outcome", sqls(`UPDATE mesh_audit SET outcome = 'denied' WHERE seq = 6`), []Problem{p(6, Modified)}},
		{"time", sqls(`UPDATE mesh_audit SET time = '2000-01-01T00:00:00.000000000Z' WHERE seq = 7`), []Problem{p(7, Modified)}},
		{"first record", sqls(`UPDATE mesh_audit SET action = 'noop' WHERE seq = 1`), []Problem{p(1, Modified)}},
		{"two records", sqls(`UPDATE mesh_audit SET resource = 'x' WHERE seq IN (2, 8)`), []Problem{p(2, Modified), p(8, Modified)}},
		{"hash garbled", sqls(`UPDATE mesh_audit SET hash = 'beef' WHERE seq = 3`), []Problem{p(3, Modified), p(4, Reordered)}},
		{"prev changed", sqls(`UPDATE mesh_audit SET prev = '' WHERE seq = 3`), []Problem{p(3, Reordered), p(3, Modified)}},
		{"middle removed", sqls(`DELETE FROM mesh_audit WHERE seq = 5`), []Problem{p(5, Removed)}},
		{"several removed", sqls(`DELETE FROM mesh_audit WHERE seq BETWEEN 4 AND 6`), []Problem{p(4, Removed)}},
		{"first removed", sqls(`DELETE FROM mesh_audit WHERE seq = 1`), []Problem{p(1, Removed)}},
		{"adjacent swapped", sqls(swap(4, 5)...), []Problem{
			p(4, Reordered), p(4, Modified), p(5, Reordered), p(5, Modified), p(6, Reordered),
		}},
		{"distant swapped", sqls(swap(3, 7)...), []Problem{
			p(3, Reordered), p(3, Modified), p(4, Reordered), p(7, Reordered), p(7, Modified), p(8, Reordered),
		}},
		{"last removed", sqls(`DELETE FROM mesh_audit WHERE seq = 10`), []Problem{p(10, Truncated)}},
		{"last three removed", sqls(`DELETE FROM mesh_audit WHERE seq > 7`), []Problem{p(8, Truncated)}},
		{"all removed", sqls(`DELETE FROM mesh_audit`), []Problem{p(1, Truncated)}},
		{"head removed", sqls(`DELETE FROM mesh_audit_head`), []Problem{p(11, Truncated)}},
		{"hash recomputed", func(t *testing.T, db *sql.DB) {
			rewrite(t, db, 5, func(r *record) { r.principal = "mallory" })
		}, []Problem{p(6, Reordered)}},
		{"last hash recomputed", func(t *testing.T, db *sql.DB) {
			rewrite(t, db, 10, func(r *record) { r.outcome = Denied })
		}, []Problem{p(10, Modified)}},
		{"record added past head", func(t *testing.T, db *sql.DB) {
			rewrite(t, db, 10, func(r *record) { r.seq, r.prev = 11, r.hash })
		}, []Problem{p(11, Modified)}},
		{"record with seq 0 added", func(t *testing.T, db *sql.DB) {
			rewrite(t, db, 1, func(r *record) { r.seq = 0 })
		}, []Problem{p(0, Modified), p(1, Reordered)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t)
			l := openLog(t, db, nil)
			appendN(t, l, 0, n)
			tt.tamper(t, db)
			rep, err := l.Verify(ctx)
			if err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			if diff := cmp.Diff(tt.want, rep.Problems, cmpopts.IgnoreFields(Problem{}, "Message"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Verify() problems mismatch (-want +got):\n%s\n%+v", diff, rep.Problems)
			}
			if rep.OK != (len(tt.want) == 0) {
				t.Errorf("Verify().OK = %v, want %v", rep.OK, len(tt.want) == 0)
			}
			for _, pr := range rep.Problems {
				if pr.Message == "" {
					t.Errorf("problem %+v has no message", pr)
				}
			}
		})
	}
}

// TestTamperingSurvivesAppends: the writer continues from the head, so
// records appended after tampering do not paper over it.
func TestTamperingSurvivesAppends(t *testing.T) {
	tests := []struct {
		name   string
		tamper []string
		want   []Problem
	}{
		{"last removed", []string{`DELETE FROM mesh_audit WHERE seq = 5`}, []Problem{{Seq: 5, Kind: Removed}}},
		{"head removed", []string{`DELETE FROM mesh_audit_head`}, []Problem{{Seq: 6, Kind: Reordered}}},
		{"head moved back", []string{`UPDATE mesh_audit_head SET seq = 3, hash = (SELECT hash FROM mesh_audit WHERE seq = 3)`},
			[]Problem{{Seq: 6, Kind: Reordered}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t)
			l := openLog(t, db, nil)
			appendN(t, l, 0, 5)
			execAll(t, db, tt.tamper...)
			appendN(t, l, 5, 8)
			rep, err := l.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rep.Problems, cmpopts.IgnoreFields(Problem{}, "Message")); diff != "" {
				t.Errorf("Verify() problems mismatch (-want +got):\n%s\n%+v", diff, rep.Problems)
			}
		})
	}
}

func TestVerifyCapsProblems(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	l := openLog(t, db, nil)
	appendN(t, l, 0, 150)
	execAll(t, db, `UPDATE mesh_audit SET principal = 'mallory'`)
	rep, err := l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Records != 150 || len(rep.Problems) != MaxProblems || rep.Omitted != 150-MaxProblems {
		t.Errorf("Verify() = OK %v, %d records, %d problems, %d omitted; want false, 150, %d, %d",
			rep.OK, rep.Records, len(rep.Problems), rep.Omitted, MaxProblems, 150-MaxProblems)
	}
	if last := rep.Problems[len(rep.Problems)-1]; last.Seq != MaxProblems || last.Kind != Modified {
		t.Errorf("last problem = %+v, want record %d modified", last, MaxProblems)
	}
}

// TestVerifyWindowForgets: the window of remembered hashes stays bounded
// over a chain longer than it.
func TestVerifyWindowForgets(t *testing.T) {
	v := newVerifier()
	var h hasher
	prev := ""
	for seq := int64(1); seq <= 3*window; seq++ {
		r := record{seq: seq, action: "query", prev: prev}
		r.hash = h.sum(&r)
		v.check(&r, false)
		prev = r.hash
	}
	if len(v.seen) != window || len(v.ring) != window {
		t.Errorf("after %d records, window holds %d hashes (%d in ring), want %d", 3*window, len(v.seen), len(v.ring), window)
	}
	if rep := v.report(); !rep.OK || rep.Records != 3*window {
		t.Errorf("report() = %+v, want OK with %d records", rep, 3*window)
	}
}

func sqlf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// sqls returns a tamper function running stmts.
func sqls(stmts ...string) func(*testing.T, *sql.DB) {
	return func(t *testing.T, db *sql.DB) { execAll(t, db, stmts...) }
}
