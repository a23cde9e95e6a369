package pgwire

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzStartup feeds arbitrary bytes to the startup reader: it must return
// a message or an error, never panic, and accept only what it can parse.
func FuzzStartup(f *testing.F) {
	seed := func(code uint32, rest ...byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(rest)))
		b = binary.BigEndian.AppendUint32(b, code)
		return append(b, rest...)
	}
	f.Add(seed(3<<16, []byte("user\x00analyst\x00database\x00mesh\x00\x00")...))
	f.Add(seed(codeSSLRequest))
	f.Add(seed(codeCancelRequest, 0, 0, 0, 1, 1, 2, 3, 4))
	f.Add(seed(2 << 16))
	f.Add(seed(3<<16|2, []byte("_pq_.x\x00y\x00\x00")...))
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := readStartup(bytes.NewReader(b))
		if err != nil {
			return
		}
		switch m.code {
		case codeSSLRequest, codeGSSENCRequest:
		case codeCancelRequest:
			if len(m.secret) < 4 {
				t.Fatalf("cancel request with a %d-byte secret accepted", len(m.secret))
			}
		default:
			if m.code>>16 != 3 || m.params == nil {
				t.Fatalf("startup %x accepted with code %d", b, m.code)
			}
		}
	})
}

// FuzzClassify checks the statement splitter and classifier never panic
// and that whatever is not a session statement goes to the engine intact.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"SELECT 1; SELECT 2", "SET x = 'a;b'", "SHOW ALL", "BEGIN; COMMIT", "select $1, $$a;b$$",
		"/* c */ SET TIME ZONE 'UTC'", "DEALLOCATE PREPARE s1", "SELECT E'\\';'", "-- x\n;", `SET "A" TO "b"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		for _, s := range splitStatements(sql) {
			st := classify(s, nil)
			if st.kind == stmtQuery && st.sql != s {
				t.Fatalf("classify(%q) changed the SQL to %q", s, st.sql)
			}
			countParams(s)
		}
	})
}
