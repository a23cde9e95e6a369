package audit

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestHashStable pins the record encoding: changing it would make every
// stored log fail verification. The want values were computed independently
// (Python's hashlib over the documented encoding).
func TestHashStable(t *testing.T) {
	tests := []struct {
		name string
		r    record
		want string
	}{
		{"first", record{seq: 1, time: "2026-11-22T10:00:00.000000000Z", principal: "alice", action: "query",
			resource: "sales.orders", outcome: OK, details: `{"rows":3}`},
			"4f2fe2f8cf9e9e2ab8ca173043a830427235ca51f0a94124b0cbb445e0f19a00"},
		{"empty fields", record{seq: 2, time: "2026-11-22T10:00:00.000000001Z", action: "auth", outcome: Denied,
			prev: strings.Repeat("0", 64)},
			"30493797712220ea5d4238e3a186067b304b7c29021c0b78fd85410a6d6c76bc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hasher
			if got := h.sum(&tt.r); got != tt.want {
				t.Errorf("sum(%+v) = %s, want %s", tt.r, got, tt.want)
			}
		})
	}
}

// TestHashUnambiguous: moving bytes from one field to the next changes the
// hash, as plain concatenation would not.
func TestHashUnambiguous(t *testing.T) {
	var h hasher
	a := record{seq: 1, principal: "ab", action: "c"}
	b := record{seq: 1, principal: "a", action: "bc"}
	if h.sum(&a) == h.sum(&b) {
		t.Errorf("sum(%+v) = sum(%+v), want different", a, b)
	}
}

func TestMarshalDetails(t *testing.T) {
	type payload struct {
		Rows int `json:"rows"`
	}
	var nilPayload *payload
	tests := []struct {
		name    string
		details any
		want    string
	}{
		{"nil", nil, ""},
		{"typed nil", nilPayload, ""},
		{"map sorted", map[string]int{"b": 2, "a": 1}, `{"a":1,"b":2}`},
		{"struct", payload{Rows: 3}, `{"rows":3}`},
		{"raw compacted", json.RawMessage(" { \"b\" : [1, 2] } "), `{"b":[1,2]}`},
		{"raw invalid", json.RawMessage(`{"b":`), unmarshalableDetails},
		{"func", func() {}, unmarshalableDetails},
		{"channel", make(chan int), unmarshalableDetails},
		{"too large", strings.Repeat("x", maxDetails), tooLargeDetails},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := marshalDetails(tt.details); got != tt.want {
				t.Errorf("marshalDetails(%T) = %q, want %q", tt.details, got, tt.want)
			}
		})
	}
}

// FuzzCanonical checks that the encoding is injective: equal encodings mean
// equal records.
func FuzzCanonical(f *testing.F) {
	f.Add(int64(1), "t", "ab", "c", "r", "ok", "{}", "", int64(1), "t", "a", "bc", "r", "ok", "{}", "")
	f.Add(int64(2), "", "", "", "", "", "", "x", int64(2), "", "", "", "", "", "x", "")
	f.Fuzz(func(t *testing.T, s1 int64, t1, p1, a1, r1, o1, d1, v1 string, s2 int64, t2, p2, a2, r2, o2, d2, v2 string) {
		x := record{seq: s1, time: t1, principal: p1, action: a1, resource: r1, outcome: o1, details: d1, prev: v1}
		y := record{seq: s2, time: t2, principal: p2, action: a2, resource: r2, outcome: o2, details: d2, prev: v2}
		if string(canonical(nil, &x)) == string(canonical(nil, &y)) && x != y {
			t.Errorf("canonical(%+v) = canonical(%+v), want different", x, y)
		}
	})
}

// FuzzMarshalDetails: whatever raw JSON a caller passes, what is stored is
// none or valid JSON within the size limit.
func FuzzMarshalDetails(f *testing.F) {
	for _, s := range []string{`{"a":1}`, ` [1, 2] `, `{"a":`, `null`, `"\u00e9"`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := marshalDetails(json.RawMessage(raw))
		if got != "" && !json.Valid([]byte(got)) {
			t.Errorf("marshalDetails(%q) = %q, want valid JSON", raw, got)
		}
		if len(got) > maxDetails {
			t.Errorf("marshalDetails(%q) is %d bytes, want at most %d", raw, len(got), maxDetails)
		}
	})
}
