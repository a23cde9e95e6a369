package httpapi_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/httpapi"
	"github.com/meshwork/meshwork/internal/registry"
)

// auditRecord is what the audit trail test compares of each record.
type auditRecord struct {
	Action, Outcome, Principal, Resource string
}

// auditRecords reads platform.audit.events as admin, oldest first.
func auditRecords(t *testing.T, admin *env, where string) []auditRecord {
	t.Helper()
	var out []auditRecord
	for _, row := range admin.query(t, "SELECT action, outcome, principal, resource FROM platform.audit.events "+where+" ORDER BY seq").text() {
		out = append(out, auditRecord{row[0], row[1], row[2], row[3]})
	}
	return out
}

// verifyAudit asks the API to verify the audit chain.
func verifyAudit(t *testing.T, admin *env) audit.Report {
	t.Helper()
	r := admin.do(t, "GET", "/api/v1/audit/verify", nil)
	r.wantStatus(t, "GET /api/v1/audit/verify", http.StatusOK)
	var rep audit.Report
	r.decode(t, "audit report", &rep)
	return rep
}

// accessRequest files a request for the caller and returns its id.
func accessRequest(t *testing.T, as *env, body httpapi.AccessRequestBody) string {
	t.Helper()
	r := as.sendJSON(t, "POST", "/api/v1/access-requests", body)
	r.wantStatus(t, "POST /api/v1/access-requests", http.StatusCreated)
	var out struct {
		Request access.Request `json:"request"`
	}
	r.decode(t, "access request", &out)
	return out.Request.ID
}

// TestAuditTrail makes one action of each kind, allowed, refused or failed,
// and reads them back from platform.audit.events in order.
func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	const secretLiteral = "needle-7f3a" // in the audited query's SQL: the record must not hold it
	querySQL := fmt.Sprintf("SELECT count(*) FROM hr.people.employees WHERE name <> '%s'", secretLiteral)
	var carol *env
	var carolToken, grantID string
	steps := []struct {
		name string
		do   func(t *testing.T)
		want []auditRecord // the records it leaves
	}{
		{"failed authentication", func(t *testing.T) {
			e.as("mesh_not-a-token").do(t, "GET", "/api/v1/products", nil).wantStatus(t, "GET /api/v1/products with a bad token", http.StatusUnauthorized)
		}, []auditRecord{{"auth", "denied", "", "GET /api/v1/products"}}},
		{"apply", func(t *testing.T) { e.applyFiles(t, "people.yaml") },
			[]auditRecord{{"apply", "ok", "admin", "people.yaml"}}},
		{"publish", func(t *testing.T) { e.mustPublish(t, employees, "append", ctCSV, employeesCSV(employeesV1)) },
			[]auditRecord{{"publish", "ok", "admin", employees}}},
		{"token create", func(t *testing.T) {
			var tok access.Token
			var secret string
			secret, tok = e.mintToken(t, httpapi.TokenRequest{Principal: "carol"})
			carol, carolToken = e.as(secret), tok.ID
		}, []auditRecord{{"token.create", "ok", "admin", "carol's token"}}},
		{"denied query", func(t *testing.T) {
			r := carol.sendJSON(t, "POST", "/api/v1/query", map[string]string{"sql": querySQL})
			r.wantError(t, "query without a grant", http.StatusForbidden, "forbidden", "hr.people")
		}, []auditRecord{{"query", "denied", "carol", "hr.people"}}},
		{"denied describe", func(t *testing.T) {
			r := carol.do(t, "GET", "/api/v1/products/hr/people", nil)
			r.wantError(t, "describe without a grant", http.StatusForbidden, "forbidden", "hr.people")
		}, []auditRecord{{"authorize.discover", "denied", "carol", "hr.people"}}},
		{"access request and approval", func(t *testing.T) {
			id := accessRequest(t, carol, httpapi.AccessRequestBody{Domain: "hr", Product: "people", Purpose: "payroll audit"})
			r := e.sendJSON(t, "POST", "/api/v1/access-requests/"+id+"/approve", httpapi.DecisionBody{Expires: "30d"})
			r.wantStatus(t, "approve", http.StatusOK)
		}, []auditRecord{{"access.request", "ok", "carol", "hr.people"}, {"access.approve", "ok", "admin", "hr.people"}}},
		{"query", func(t *testing.T) { carol.query(t, querySQL) },
			[]auditRecord{{"query", "ok", "carol", "hr.people"}}},
		{"failed query", func(t *testing.T) {
			r := carol.sendJSON(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT CAST(name AS INTEGER) FROM hr.people.employees"})
			r.wantError(t, "query that fails", http.StatusBadRequest, "invalid", "")
		}, []auditRecord{{"query", "failed", "carol", "hr.people"}}},
		{"denied publish", func(t *testing.T) {
			r := carol.publish(t, employees, "append", ctCSV, employeesCSV(employeesV2))
			r.wantError(t, "publish as a consumer", http.StatusForbidden, "forbidden", "hr.people")
		}, []auditRecord{{"authorize.publish", "denied", "carol", "hr.people"}}},
		{"grant", func(t *testing.T) {
			grantID = e.grantRole(t, httpapi.GrantRequest{Role: access.RoleUnmask, Subject: "carol", Domain: "hr", Product: "people"}).ID
		}, []auditRecord{{"grant.create", "ok", "admin", "hr.people"}}},
		{"revoke grant", func(t *testing.T) {
			e.do(t, "DELETE", "/api/v1/grants/"+grantID, nil).wantStatus(t, "revoke grant", http.StatusOK)
		}, []auditRecord{{"grant.revoke", "ok", "admin", "hr.people"}}},
		{"denied token create", func(t *testing.T) {
			r := carol.sendJSON(t, "POST", "/api/v1/tokens", httpapi.TokenRequest{Principal: "mallory"})
			r.wantError(t, "token create as a consumer", http.StatusForbidden, "forbidden", "the platform")
		}, []auditRecord{{"authorize.admin", "denied", "carol", "platform"}}},
		{"token revoke", func(t *testing.T) {
			carol.do(t, "DELETE", "/api/v1/tokens/"+carolToken, nil).wantStatus(t, "revoke own token", http.StatusOK)
		}, []auditRecord{{"token.revoke", "ok", "carol", "carol's token"}}},
	}
	want := []auditRecord{{"token.create", "ok", "system", "principal:admin"}} // the bootstrap admin token
	for _, s := range steps {
		if !t.Run(s.name, s.do) {
			t.FailNow()
		}
		want = append(want, s.want...)
	}

	for i := range want {
		if want[i].Resource == "carol's token" {
			want[i].Resource = "token:" + carolToken
		}
	}
	got := auditRecords(t, e, "")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("platform.audit.events (-want +got):\n%s", diff)
	}

	t.Run("the chain", func(t *testing.T) {
		rows := e.query(t, "SELECT seq, prev, hash FROM platform.audit.events ORDER BY seq").text()
		for i, row := range rows {
			if row[0] != fmt.Sprint(i+1) {
				t.Errorf("record %d: seq = %s, want %d", i+1, row[0], i+1)
			}
			if !hex64.MatchString(row[2]) {
				t.Errorf("record %d: hash = %q, want 64 hex digits", i+1, row[2])
			}
			if wantPrev := ""; i > 0 {
				wantPrev = rows[i-1][2]
				if row[1] != wantPrev {
					t.Errorf("record %d: prev = %q, want the hash of record %d %q", i+1, row[1], i, wantPrev)
				}
			}
		}
	})

	t.Run("query records", func(t *testing.T) {
		rows := e.query(t, "SELECT outcome, details FROM platform.audit.events WHERE action = 'query' AND principal = 'carol' ORDER BY seq").text()
		if len(rows) != 3 {
			t.Fatalf("carol's query records = %d, want 3: %v", len(rows), rows)
		}
		sum := sha256.Sum256([]byte(querySQL))
		type details struct {
			Rows    *int64   `json:"rows"`
			SQLHash string   `json:"sqlHash"`
			Tables  []string `json:"tables"`
			Error   string   `json:"error"`
		}
		for i, w := range []struct {
			outcome string
			rows    int64
			sqlHash string // "" : any 64 hex digits
			err     string // the error's text contains this
			table   string // as named, or with the major it resolved to once bound
		}{
			{"denied", 0, hex.EncodeToString(sum[:]), "may not read hr.people", employees},
			{"ok", 1, hex.EncodeToString(sum[:]), "", "hr.people@v1.employees"},
			{"failed", 0, "", "Conversion Error", "hr.people@v1.employees"},
		} {
			row := rows[i]
			if strings.Contains(row[1], secretLiteral) || strings.Contains(row[1], "SELECT") {
				t.Errorf("query record %d details = %s, want no SQL text", i+1, row[1])
			}
			var d details
			if err := json.Unmarshal([]byte(row[1]), &d); err != nil {
				t.Fatalf("query record %d details = %q: %v", i+1, row[1], err)
			}
			if row[0] != w.outcome || d.Rows == nil || *d.Rows != w.rows || !hex64.MatchString(d.SQLHash) ||
				(w.sqlHash != "" && d.SQLHash != w.sqlHash) || !cmp.Equal(d.Tables, []string{w.table}) || !strings.Contains(d.Error, w.err) {
				t.Errorf("query record %d = %s %s, want %s with rows %d, sqlHash %s, tables [%s], error containing %q",
					i+1, row[0], row[1], w.outcome, w.rows, w.sqlHash, w.table, w.err)
			}
		}
	})

	t.Run("consumers may not read it", func(t *testing.T) {
		dave := e.principal(t, "dave", grantSpec{access.RoleConsumer, "hr", ""}.request("", ""))
		dave.query(t, "SELECT count(*) FROM hr.people.employees") // a consumer of hr all the same
		r := dave.sendJSON(t, "POST", "/api/v1/query", map[string]string{"sql": "SELECT count(*) FROM platform.audit.events"})
		r.wantError(t, "audit table as a consumer of hr", http.StatusForbidden, "forbidden", "platform.audit")
		r = dave.do(t, "GET", "/api/v1/audit/verify", nil)
		r.wantError(t, "audit verify as a consumer of hr", http.StatusForbidden, "forbidden", "the platform")
	})

	t.Run("verify", func(t *testing.T) {
		rep := verifyAudit(t, e)
		n := int64(len(e.query(t, "SELECT seq FROM platform.audit.events").Rows))
		if !rep.OK || len(rep.Problems) != 0 || rep.Records < n || !hex64.MatchString(rep.Head) {
			t.Errorf("GET /api/v1/audit/verify = %+v, want ok with at least %d records and a head", rep, n)
		}
	})
}

// auditRow is a stored row of mesh_audit.
type auditRow struct {
	seq                                                             int64
	time, principal, action, resource, outcome, details, prev, hash string
}

// auditStore is the platform's audit table, opened behind its back.
type auditStore struct {
	db   *sql.DB
	rows []auditRow
	head [2]any
}

func openAuditStore(t *testing.T, e *env) *auditStore {
	t.Helper()
	db, err := registry.OpenSQLite(filepath.Join(e.cfg.Data, "mesh.db"))
	if err != nil {
		t.Fatalf("open mesh.db: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return &auditStore{db: db}
}

func (s *auditStore) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := s.db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// save remembers every row and the chain head, for restore.
func (s *auditStore) save(t *testing.T) {
	t.Helper()
	rows, err := s.db.Query(`SELECT seq, time, principal, action, resource, outcome, details, prev, hash FROM mesh_audit ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	s.rows = nil
	for rows.Next() {
		var r auditRow
		if err := rows.Scan(&r.seq, &r.time, &r.principal, &r.action, &r.resource, &r.outcome, &r.details, &r.prev, &r.hash); err != nil {
			t.Fatal(err)
		}
		s.rows = append(s.rows, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`SELECT seq, hash FROM mesh_audit_head WHERE id = 1`).Scan(&s.head[0], &s.head[1]); err != nil {
		t.Fatal(err)
	}
}

// restore puts back what save remembered.
func (s *auditStore) restore(t *testing.T) {
	t.Helper()
	s.exec(t, `DELETE FROM mesh_audit`)
	for _, r := range s.rows {
		s.exec(t, `INSERT INTO mesh_audit (seq, time, principal, action, resource, outcome, details, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.seq, r.time, r.principal, r.action, r.resource, r.outcome, r.details, r.prev, r.hash)
	}
	s.exec(t, `INSERT INTO mesh_audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, s.head[0], s.head[1])
}

// TestAuditTamper changes the audit table behind the platform's back:
// verification names the first record touched and what was done to it.
func TestAuditTamper(t *testing.T) {
	e := newEnv(t)
	e.applyFiles(t, "people.yaml")
	e.mustPublish(t, employees, "append", ctCSV, employeesCSV(employeesV1))
	e.as("mesh_not-a-token").do(t, "GET", "/api/v1/products", nil)
	cora := e.principal(t, "cora", grantSpec{access.RoleConsumer, "hr", ""}.request("", ""))
	cora.query(t, "SELECT count(*) FROM hr.people.employees")
	if denied := auditRecords(t, e, "WHERE action = 'auth'"); len(denied) != 1 {
		t.Fatalf("auth records = %v, want 1", denied)
	}
	// Verification flushes the log, and appends nothing itself: from here
	// on the store holds every record.
	before := verifyAudit(t, e)
	if !before.OK || before.Records < 8 {
		t.Fatalf("audit before tampering = %+v, want ok with at least 8 records", before)
	}
	last := before.Records
	store := openAuditStore(t, e)
	store.save(t)
	var authSeq int64
	if err := store.db.QueryRow(`SELECT seq FROM mesh_audit WHERE action = 'auth'`).Scan(&authSeq); err != nil {
		t.Fatal(err)
	}
	if authSeq >= last-1 {
		t.Fatalf("the auth record is %d of %d, want it before the last two", authSeq, last)
	}

	for _, c := range []struct {
		name   string
		tamper []string // statements; ? is the seq of the denied auth record
		want   []audit.Problem
	}{
		{"outcome rewritten", []string{`UPDATE mesh_audit SET outcome = 'ok' WHERE seq = ?`},
			[]audit.Problem{{Seq: authSeq, Kind: audit.Modified}}},
		{"principal rewritten", []string{`UPDATE mesh_audit SET principal = 'admin' WHERE seq = ?`},
			[]audit.Problem{{Seq: authSeq, Kind: audit.Modified}}},
		{"details rewritten", []string{`UPDATE mesh_audit SET details = '{}' WHERE seq = ?`},
			[]audit.Problem{{Seq: authSeq, Kind: audit.Modified}}},
		{"time rewritten", []string{`UPDATE mesh_audit SET time = '2000-01-01T00:00:00.000000000Z' WHERE seq = ?`},
			[]audit.Problem{{Seq: authSeq, Kind: audit.Modified}}},
		{"record removed", []string{`DELETE FROM mesh_audit WHERE seq = ?`},
			[]audit.Problem{{Seq: authSeq, Kind: audit.Removed}}},
		{"two records removed", []string{`DELETE FROM mesh_audit WHERE seq IN (?, ? + 1)`},
			[]audit.Problem{{Seq: authSeq, Kind: audit.Removed}}},
		{"newest records removed", []string{fmt.Sprintf(`DELETE FROM mesh_audit WHERE seq >= %d AND ? > 0`, last-1)},
			[]audit.Problem{{Seq: last - 1, Kind: audit.Truncated}}},
		{"newest records and the head moved back", []string{fmt.Sprintf(`DELETE FROM mesh_audit WHERE seq >= %d AND ? > 0`, last-1),
			fmt.Sprintf(`UPDATE mesh_audit_head SET seq = %d WHERE ? > 0`, last-2)},
			[]audit.Problem{{Seq: last - 2, Kind: audit.Modified}}},
		{"chain head removed", []string{`DELETE FROM mesh_audit_head WHERE ? > 0`},
			[]audit.Problem{{Seq: last + 1, Kind: audit.Truncated}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, q := range c.tamper {
				store.exec(t, strings.ReplaceAll(q, "?", fmt.Sprint(authSeq)))
			}
			rep := verifyAudit(t, e)
			var got []audit.Problem
			for _, p := range rep.Problems {
				if p.Message == "" {
					t.Errorf("problem %+v has no message", p)
				}
				got = append(got, audit.Problem{Seq: p.Seq, Kind: p.Kind})
			}
			if rep.OK || !cmp.Equal(c.want, got) {
				t.Errorf("verify after %s = ok %v, problems %+v; want not ok, problems %+v", c.name, rep.OK, got, c.want)
			}
			store.restore(t)
			if rep := verifyAudit(t, e); !rep.OK {
				t.Fatalf("verify after restoring the table = %+v, want ok", rep)
			}
		})
	}
}
