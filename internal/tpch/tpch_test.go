package tpch

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"io"
	"strings"
	"testing"
)

func TestColumns(t *testing.T) {
	want := map[string]int{"region": 3, "nation": 4, "supplier": 7, "customer": 8, "part": 9,
		"partsupp": 5, "orders": 9, "lineitem": 16}
	for _, table := range Tables {
		t.Run(table, func(t *testing.T) {
			cols, err := Columns(table)
			if err != nil {
				t.Fatal(err)
			}
			if len(cols) != want[table] {
				t.Errorf("got %d columns, want %d", len(cols), want[table])
			}
			for _, c := range cols {
				switch c.Type {
				case TypeInteger, TypeDecimal, TypeDate, TypeVarchar:
				default:
					t.Errorf("%s: unexpected type %q", c.Name, c.Type)
				}
			}
			if _, ok := TableNames[table]; !ok {
				t.Errorf("no mesh name for %s", table)
			}
		})
	}
	if _, err := Columns("nope"); err == nil {
		t.Error("Columns(nope): want error")
	}
}

func TestRowCount(t *testing.T) {
	tests := []struct {
		table string
		sf    float64
		want  int64
	}{
		{"region", 1, 5}, {"nation", 0.01, 25}, {"supplier", 1, 10_000}, {"customer", 0.1, 15_000},
		{"part", 0.01, 2_000}, {"partsupp", 0.01, 8_000}, {"orders", 1, 1_500_000},
		{"supplier", 0.00001, 1}, {"customer", 0.0001, 15},
	}
	for _, tt := range tests {
		got, err := RowCount(tt.table, tt.sf)
		if err != nil || got != tt.want {
			t.Errorf("RowCount(%s, %v) = %d, %v; want %d", tt.table, tt.sf, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		table string
		sf    float64
	}{{"nope", 1}, {"orders", 0}, {"orders", -1}} {
		if _, err := RowCount(bad.table, bad.sf); err == nil {
			t.Errorf("RowCount(%s, %v): want error", bad.table, bad.sf)
		}
	}
	li, err := RowCount("lineitem", 1)
	if err != nil {
		t.Fatal(err)
	}
	// 1..7 lines per order: about 4 per order.
	if li < 5_900_000 || li > 6_100_000 {
		t.Errorf("lineitem at sf 1 = %d, want about 6,000,000", li)
	}
	t.Logf("lineitem rows at sf 1: %d", li)
}

// TestWriteCSV checks the CSV shape of every table at two scale factors:
// header, row count, field count, and that encoding/csv reads it back.
func TestWriteCSV(t *testing.T) {
	for _, sf := range []float64{0.001, 0.01} {
		for _, table := range Tables {
			t.Run(table, func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteCSV(&buf, table, sf); err != nil {
					t.Fatal(err)
				}
				cols, _ := Columns(table)
				r := csv.NewReader(&buf)
				r.FieldsPerRecord = len(cols)
				r.ReuseRecord = true
				head, err := r.Read()
				if err != nil {
					t.Fatal(err)
				}
				for i, c := range cols {
					if head[i] != c.Name {
						t.Fatalf("header[%d] = %q, want %q", i, head[i], c.Name)
					}
				}
				var n int64
				for {
					rec, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("row %d: %v", n+1, err)
					}
					for i, c := range cols {
						if !validValue(c.Type, rec[i]) {
							t.Fatalf("row %d: %s = %q is not a valid %s", n+1, c.Name, rec[i], c.Type)
						}
					}
					n++
				}
				want, _ := RowCount(table, sf)
				if n != want {
					t.Errorf("sf %v: %d rows, RowCount says %d", sf, n, want)
				}
			})
		}
	}
}

func validValue(typ, v string) bool {
	switch typ {
	case TypeInteger:
		return v != "" && strings.Trim(v, "0123456789") == ""
	case TypeDecimal:
		v = strings.TrimPrefix(v, "-")
		i := strings.IndexByte(v, '.')
		return i > 0 && i == len(v)-3 && strings.Trim(v[:i]+v[i+1:], "0123456789") == ""
	case TypeDate:
		return len(v) == 10 && v[4] == '-' && v[7] == '-' && v >= "1992-01-01" && v <= "1998-12-31"
	default:
		return v != "" && strings.TrimSpace(v) == v
	}
}

func TestDeterminism(t *testing.T) {
	for _, table := range Tables {
		t.Run(table, func(t *testing.T) {
			sum := func() [32]byte {
				h := sha256.New()
				w := bufio.NewWriter(h)
				if err := WriteCSV(w, table, 0.01); err != nil {
					t.Fatal(err)
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				return [32]byte(h.Sum(nil))
			}
			if a, b := sum(), sum(); a != b {
				t.Errorf("two runs differ: %x vs %x", a, b)
			}
		})
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n--; f.n < 0 {
		return 0, io.ErrShortWrite
	}
	return len(p), nil
}

func TestWriteCSVErrors(t *testing.T) {
	tests := []struct {
		name  string
		w     io.Writer
		table string
		sf    float64
	}{
		{"unknown table", io.Discard, "nope", 1},
		{"zero sf", io.Discard, "orders", 0},
		{"write error", &failWriter{n: 1}, "orders", 0.01},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := WriteCSV(tt.w, tt.table, tt.sf); err == nil {
				t.Error("want error")
			}
		})
	}
}

func TestQueryText(t *testing.T) {
	for n := 1; n <= 22; n++ {
		q, err := Query(n)
		if err != nil {
			t.Fatal(err)
		}
		up := strings.ToUpper(q)
		if !strings.HasPrefix(up, "SELECT") && !strings.HasPrefix(up, "WITH") {
			t.Errorf("Q%d does not start with SELECT or WITH: %.30q", n, q)
		}
		if strings.Contains(q, ";") || strings.Contains(q, "--") {
			t.Errorf("Q%d contains ';' or a comment", n)
		}
		if strings.Contains(up, "CREATE VIEW") {
			t.Errorf("Q%d creates a view", n)
		}
	}
	for _, n := range []int{0, 23} {
		if _, err := Query(n); err == nil {
			t.Errorf("Query(%d): want error", n)
		}
	}
}

func TestFormatHelpers(t *testing.T) {
	cents := []struct {
		in   int64
		want string
	}{{0, "0.00"}, {5, "0.05"}, {-5, "-0.05"}, {123456, "1234.56"}, {-99999, "-999.99"}}
	for _, c := range cents {
		if got := string(appendCents(nil, c.in)); got != c.want {
			t.Errorf("appendCents(%d) = %q, want %q", c.in, got, c.want)
		}
	}
	fields := []struct{ in, want string }{{"plain", "plain"}, {"a,b", `"a,b"`}, {`say "hi"`, `"say ""hi"""`}, {"a\nb", "\"a\nb\""}}
	for _, f := range fields {
		if got := string(appendField(nil, f.in)); got != f.want {
			t.Errorf("appendField(%q) = %q, want %q", f.in, got, f.want)
		}
	}
	if got := string(appendDate(nil, currentDate)); got != "1995-06-17" {
		t.Errorf("currentDate = %s", got)
	}
	if got := string(appendDate(nil, lastOrder)); got != "1998-08-02" {
		t.Errorf("lastOrder = %s", got)
	}
	if got := string(appendPad(nil, 42, 9)); got != "000000042" {
		t.Errorf("appendPad = %s", got)
	}
}

// TestPartSuppliersDistinct checks that the four suppliers of every part are
// distinct (unique partsupp keys) at the scale factors we use.
func TestPartSuppliersDistinct(t *testing.T) {
	for _, sf := range []float64{0.001, 0.01, 0.1, 1} {
		s, err := newScale(sf)
		if err != nil {
			t.Fatal(err)
		}
		for p := int64(1); p <= s.part; p++ {
			var seen [4]int64
			for j := range int64(4) {
				seen[j] = partSupplier(p, j, s.supp)
				for _, prev := range seen[:j] {
					if prev == seen[j] {
						t.Fatalf("sf %v: part %d has supplier %d twice", sf, p, prev)
					}
				}
			}
		}
	}
}
