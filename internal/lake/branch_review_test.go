package lake

import (
	"os"
	"path/filepath"
	"testing"

	iceio "github.com/apache/iceberg-go/io"
)

// InTable must judge a URI as the readers resolve it: iceberg-go (and
// other engines) percent-decode a file URI's path, so an encoded ".." must
// not lead out of the table.
func TestInTableEncodedPath(t *testing.T) {
	wh := t.TempDir()
	l := &Lake{warehouse: wh}
	id := Ident{Domain: "hr", Product: "staff", Table: "people"}
	other := filepath.Join(wh, "hr", "staff", "salaries", "data", "x.parquet")
	if err := os.MkdirAll(filepath.Join(l.Location(id), "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	loc := "file://" + l.Location(id)
	for _, c := range []struct {
		uri  string
		want bool
	}{
		{loc + "/data/x.parquet", true},
		{loc + "/data/a%20b.parquet", true},
		{loc + "/../salaries/data/x.parquet", false},
		{loc + "/%2e%2e/salaries/data/x.parquet", false},
		{loc + "/data/%2E%2E/%2E%2E/salaries/data/x.parquet", false},
		{loc + "/data/x.parquet#/../../../salaries/data/x.parquet", false},
		{loc + "/data/%zz.parquet", false},
		{"file://localhost" + l.Location(id) + "/data/x.parquet", false},
	} {
		if got := l.InTable(id, c.uri); got != c.want {
			t.Errorf("InTable(%q) = %v, want %v", c.uri, got, c.want)
		}
	}
	// What the encoded form opens: the other table's file.
	f, err := iceio.LocalFS{}.Open(loc + "/%2e%2e/salaries/data/x.parquet")
	if err != nil {
		t.Fatalf("iceberg-go opens the encoded path: %v", err)
	}
	f.Close()
}
