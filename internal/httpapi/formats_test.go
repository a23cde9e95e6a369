package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// The query API answers the same rows as JSON, CSV and an Arrow IPC stream,
// and max_rows truncates each the same way.
func TestQueryResultFormats(t *testing.T) {
	e := newEnv(t)
	e.applyFiles(t, "shop.yaml", "geo.yaml")
	const sql = "SELECT i AS n, 'v' || i AS s FROM (VALUES (1), (2), (3)) t(i) ORDER BY n"
	body := func(maxRows int) *strings.Reader {
		b, _ := json.Marshal(map[string]any{"sql": sql, "max_rows": maxRows})
		return strings.NewReader(string(b))
	}

	t.Run("arrow", func(t *testing.T) {
		r := e.do(t, http.MethodPost, "/api/v1/query", body(0), "Accept", "application/vnd.apache.arrow.stream")
		r.wantStatus(t, "arrow query", http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "application/vnd.apache.arrow.stream" {
			t.Errorf("Content-Type = %q, want the Arrow stream type", ct)
		}
		rdr, err := ipc.NewReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("ipc.NewReader: %v", err)
		}
		defer rdr.Release()
		var got []string
		for rdr.Next() {
			rec := rdr.RecordBatch()
			n := rec.Column(0).(*array.Int32)
			s := rec.Column(1).(*array.String)
			for i := 0; i < int(rec.NumRows()); i++ {
				got = append(got, fmt.Sprintf("%s=%d", s.Value(i), n.Value(i)))
			}
		}
		if err := rdr.Err(); err != nil {
			t.Fatalf("read stream: %v", err)
		}
		if strings.Join(got, ",") != "v1=1,v2=2,v3=3" {
			t.Errorf("arrow rows = %v, want v1=1,v2=2,v3=3", got)
		}
	})

	t.Run("csv", func(t *testing.T) {
		r := e.do(t, http.MethodPost, "/api/v1/query", body(0), "Accept", "text/csv")
		r.wantStatus(t, "csv query", http.StatusOK)
		if got, want := string(r.body), "n,s\n1,v1\n2,v2\n3,v3\n"; got != want {
			t.Errorf("csv = %q, want %q", got, want)
		}
	})

	t.Run("max_rows", func(t *testing.T) {
		r := e.do(t, http.MethodPost, "/api/v1/query", body(2))
		r.wantStatus(t, "json query", http.StatusOK)
		var res struct {
			Rows      [][]any `json:"rows"`
			RowCount  int     `json:"rowCount"`
			Truncated bool    `json:"truncated"`
		}
		r.decode(t, "json result", &res)
		if len(res.Rows) != 2 || res.RowCount != 2 || !res.Truncated {
			t.Errorf("max_rows 2 = %d rows, rowCount %d, truncated %v; want 2, 2, true", len(res.Rows), res.RowCount, res.Truncated)
		}
		r = e.do(t, http.MethodPost, "/api/v1/query", body(3), "Accept", "text/csv")
		if got := strings.Count(string(r.body), "\n"); got != 4 {
			t.Errorf("csv with max_rows 3 = %d lines, want header + 3", got)
		}
	})
}
