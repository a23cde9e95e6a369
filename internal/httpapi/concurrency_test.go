package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/platform"
	"github.com/meshwork/meshwork/internal/publish"
)

// outcome is one concurrent publish's answer.
type outcome struct {
	status int
	rep    publish.Report
	err    error
}

// publishAll sends the bodies to table at once and returns the answers in order.
func (e *env) publishAll(table, mode string, bodies []string) []outcome {
	out := make([]outcome, len(bodies))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, b := range bodies {
		wg.Go(func() {
			<-start
			res, err := e.post(publishPath(table, mode), ctCSV, bytes.NewReader([]byte(b)))
			if err != nil {
				out[i].err = err
				return
			}
			defer res.Body.Close()
			out[i].status = res.StatusCode
			body, err := io.ReadAll(res.Body)
			if err != nil {
				out[i].err = err
				return
			}
			if res.StatusCode == http.StatusOK {
				out[i].err = json.Unmarshal(body, &out[i].rep)
				return
			}
			var eb struct {
				Error struct {
					Code    string         `json:"code"`
					Details publish.Report `json:"details"`
				} `json:"error"`
			}
			out[i].err = json.Unmarshal(body, &eb)
			out[i].rep = eb.Error.Details
		})
	}
	close(start)
	wg.Wait()
	return out
}

func TestConcurrentPublishes(t *testing.T) {
	e := seededShop(t)
	snapshots := func() []int64 { return snapshotIDs(table(t, e.product(t, "retail", "shop"), "items")) }

	t.Run("different rows both commit", func(t *testing.T) {
		before := snapshots()
		outs := e.publishAll(items, "append", []string{
			"item_id,name,price\n100,a,1.00\n101,b,1.00\n",
			"item_id,name,price\n200,c,2.00\n",
		})
		var got []int64
		for i, o := range outs {
			if o.err != nil || o.status != http.StatusOK || o.rep.Status != publish.StatusCommitted {
				t.Fatalf("publish %d = %d %q (%v), want 200 committed", i, o.status, o.rep.Status, o.err)
			}
			got = append(got, o.rep.SnapshotID)
		}
		after := snapshots()
		if len(after) != len(before)+2 || got[0] == got[1] || !slices.Contains(after, got[0]) || !slices.Contains(after, got[1]) {
			t.Errorf("snapshots %v -> %v, commits %v: want two new snapshots, the ones the commits reported", before, after, got)
		}
		// The publishes ran one after the other: one's parent is the other.
		if outs[0].rep.PreviousSnapshotID != got[1] && outs[1].rep.PreviousSnapshotID != got[0] {
			t.Errorf("previous snapshots %d and %d, commits %v: want the commits chained", outs[0].rep.PreviousSnapshotID, outs[1].rep.PreviousSnapshotID, got)
		}
		e.wantRows(t, "SELECT count(*), sum(item_id) FILTER (WHERE item_id >= 100) FROM retail.shop.items", [][]string{{"6", "401"}})
	})

	t.Run("same key: one commits, the others fail cleanly", func(t *testing.T) {
		before := snapshots()
		warehouse := files(t, e.p.Lake.Location(lakeIdent(items)))
		body := "item_id,name,price\n300,same,3.00\n"
		outs := e.publishAll(items, "append", []string{body, body, body, body})
		commits := 0
		for i, o := range outs {
			switch {
			case o.err != nil:
				t.Errorf("publish %d: %v", i, o.err)
			case o.status == http.StatusOK:
				commits++
			case o.status == http.StatusUnprocessableEntity:
				if diff := failedChecks(o.rep); !slices.Equal(diff, []string{"contract primaryKey.existing"}) {
					t.Errorf("publish %d failed checks %v, want [contract primaryKey.existing]", i, diff)
				}
			default:
				t.Errorf("publish %d = %d, want 200 or 422", i, o.status)
			}
		}
		if commits != 1 {
			t.Errorf("%d publishes of the same key committed, want 1", commits)
		}
		after := snapshots()
		if len(after) != len(before)+commits {
			t.Errorf("snapshots %d -> %d after %d commits", len(before), len(after), commits)
		}
		// Only the one commit's files are new.
		newFiles := 0
		for _, f := range files(t, e.p.Lake.Location(lakeIdent(items))) {
			if !slices.Contains(warehouse, f) && filepath.Ext(f) == ".parquet" {
				newFiles++
			}
		}
		if newFiles != 1 {
			t.Errorf("%d new data files, want 1 (the commit's)", newFiles)
		}
		e.wantRows(t, "SELECT count(*) FROM retail.shop.items WHERE item_id = 300", [][]string{{"1"}})
	})

	t.Run("replaces and readers", func(t *testing.T) {
		before := snapshots()
		bodies := []string{
			"item_id,name,price\n1,one,1.00\n",
			"item_id,name,price\n1,one,1.00\n2,two,2.00\n",
			"item_id,name,price\n1,one,1.00\n2,two,2.00\n3,three,3.00\n",
		}
		// Readers run alongside: each sees one whole snapshot, never a mix.
		valid := []string{"1", "2", "3", "7"}
		var wg sync.WaitGroup
		readErrs := make(chan error, 8)
		for range 4 {
			wg.Go(func() {
				res, err := e.post("/api/v1/query", "application/json", queryBody("SELECT count(*) FROM retail.shop.items"))
				if err != nil {
					readErrs <- err
					return
				}
				defer res.Body.Close()
				var r result
				if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != http.StatusOK || len(r.Rows) != 1 {
					readErrs <- fmt.Errorf("query = %d, %v, rows %v", res.StatusCode, err, r.Rows)
					return
				}
				if n := fmt.Sprint(r.Rows[0][0]); !slices.Contains(valid, n) {
					readErrs <- fmt.Errorf("count(*) = %s during replaces, want one of %v", n, valid)
				}
			})
		}
		outs := e.publishAll(items, "replace", bodies)
		wg.Wait()
		close(readErrs)
		for err := range readErrs {
			t.Error(err)
		}
		for i, o := range outs {
			if o.err != nil || o.status != http.StatusOK {
				t.Fatalf("replace %d = %d (%v), want 200", i, o.status, o.err)
			}
		}
		if after := snapshots(); len(after) != len(before)+3 {
			t.Errorf("snapshots %d -> %d after 3 commits", len(before), len(after))
		}
		// The last commit wins, whole.
		last := outs[0]
		for _, o := range outs {
			if !slices.ContainsFunc(outs, func(x outcome) bool { return x.rep.PreviousSnapshotID == o.rep.SnapshotID }) {
				last = o
			}
		}
		want := fmt.Sprint(last.rep.RowsOK)
		e.wantRows(t, "SELECT count(*) FROM retail.shop.items", [][]string{{want}})
	})
}

// TestClientGoesAway cancels a query that would run for minutes once the
// server has it; the handler must end promptly and the server stay healthy.
func TestClientGoesAway(t *testing.T) {
	e := seededShop(t, func(c *platform.Config) { c.QueryTimeout = 10 * time.Minute })
	entered := make(chan struct{}, 1)
	done := make(chan int, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		sw := &statusRecorder{ResponseWriter: w}
		e.p.API.ServeHTTP(sw, r)
		done <- sw.status
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-entered
		cancel()
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/v1/query",
		queryBody("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := srv.Client().Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatalf("POST /api/v1/query = %d, want the client to give up", res.StatusCode)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("POST /api/v1/query: %v, want context.Canceled", err)
	}
	// A guard against a hang, not a timing assertion: the query's own
	// timeout is ten minutes, so only the cancellation can end it.
	select {
	case status := <-done:
		if status != 499 {
			t.Errorf("canceled query's handler answered %d, want 499", status)
		}
	case <-time.After(time.Minute):
		t.Fatal("the query still runs a minute after its client went away")
	}
	e.healthy(t)
	e.wantRows(t, "SELECT count(*) FROM retail.shop.items", [][]string{{"3"}})
	if inUse := e.p.DuckDB.Stats().InUse; inUse != 0 {
		t.Errorf("DuckDB connections in use after the queries ended = %d, want 0", inUse)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
