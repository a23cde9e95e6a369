package pgwire_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/meshwork/meshwork/internal/pgwire"
)

// startupBytes is a StartupMessage of the given protocol version.
func startupBytes(version uint32, params ...string) []byte {
	b := []byte{0, 0, 0, 0}
	b = binary.BigEndian.AppendUint32(b, version)
	for _, p := range params {
		b = append(b, p...)
		b = append(b, 0)
	}
	b = append(b, 0)
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

// authenticated opens a raw connection and logs in as analyst.
func authenticated(t *testing.T, s *server) (net.Conn, *pgproto3.Frontend) {
	t.Helper()
	nc, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "analyst"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	if m, err := fe.Receive(); err != nil {
		t.Fatalf("startup: %v", err)
	} else if _, ok := m.(*pgproto3.AuthenticationCleartextPassword); !ok {
		t.Fatalf("startup answer = %T, want AuthenticationCleartextPassword", m)
	}
	fe.Send(&pgproto3.PasswordMessage{Password: shared.tokens["analyst"]})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			return nc, fe
		}
	}
}

// readError reads until the server closes the connection and returns the
// SQLSTATE of the last ErrorResponse ("" if none).
func readError(t *testing.T, nc net.Conn) string {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(nc)
	code := ""
	for {
		typ, err := r.ReadByte()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the server did not close the connection")
			}
			return code
		}
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return code
		}
		n := int(binary.BigEndian.Uint32(hdr[:])) - 4
		if n < 0 || n > 1<<20 {
			t.Fatalf("bad message length %d", n)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return code
		}
		if typ == 'E' {
			var e pgproto3.ErrorResponse
			if err := e.Decode(body); err != nil {
				t.Fatalf("decode ErrorResponse: %v", err)
			}
			code = e.Code
		}
	}
}

func TestBadInput(t *testing.T) {
	s := startServer(t, func(c *pgwire.Config) { c.StartupTimeout = 500 * time.Millisecond })
	tests := []struct {
		name  string
		auth  bool   // log in first
		send  []byte // then send this and close the writing side when closeW
		close bool
		code  string // the SQLSTATE of the error, "" for a silent close
	}{
		{"http request", false, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, "08P01"},
		{"tls client hello", false, []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc}, false, "08P01"},
		{"short length", false, []byte{0, 0, 0, 4, 0, 3, 0, 0}, false, "08P01"},
		{"oversized startup", false, []byte{0, 0x10, 0, 0, 0, 3, 0, 0}, false, "08P01"},
		{"protocol 2", false, startupBytes(2<<16, "user", "analyst"), false, "0A000"},
		{"protocol 4", false, startupBytes(4<<16, "user", "analyst"), false, "0A000"},
		{"unterminated parameters", false, []byte{0, 0, 0, 12, 0, 3, 0, 0, 'u', 's', 'e', 'r'}, false, "08P01"},
		{"no user", false, startupBytes(3<<16, "database", "mesh"), false, "28000"},
		{"truncated startup", false, []byte{0, 0, 0, 100, 0, 3, 0, 0}, true, "08P01"},
		{"startup timeout", false, nil, false, ""},
		{"unknown message", true, []byte{'Z', 0, 0, 0, 4}, false, "08P01"},
		{"oversized message", true, []byte{'Q', 0x7f, 0, 0, 0}, false, "08P01"},
		{"bad message length", true, []byte{'Q', 0, 0, 0, 1}, false, "08P01"},
		{"truncated message", true, []byte{'Q', 0, 0, 0, 100, 'S', 'E'}, true, ""},
		{"garbage bind", true, []byte{'B', 0, 0, 0, 6, 0xff, 0xff}, false, "08P01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var nc net.Conn
			if tt.auth {
				nc, _ = authenticated(t, s)
			} else {
				var err error
				if nc, err = net.Dial("tcp", s.addr); err != nil {
					t.Fatal(err)
				}
				defer nc.Close()
			}
			if _, err := nc.Write(tt.send); err != nil {
				t.Fatal(err)
			}
			if tt.close {
				nc.(*net.TCPConn).CloseWrite()
			}
			if got := readError(t, nc); got != tt.code {
				t.Errorf("error code = %q, want %q", got, tt.code)
			}
			// The server keeps serving.
			c := s.connect(t, "analyst")
			var one int
			if err := c.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
				t.Fatalf("SELECT 1 after %s: %v", tt.name, err)
			}
		})
	}
}

// TestSSLAndGSSRequests checks the answers to the encryption requests of a
// server without a certificate: 'N', then a normal startup works.
func TestSSLAndGSSRequests(t *testing.T) {
	s := startServer(t)
	nc, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	for _, code := range []uint32{80877104, 80877103} {
		req := binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8}, code)
		if _, err := nc.Write(req); err != nil {
			t.Fatal(err)
		}
		var b [1]byte
		if _, err := io.ReadFull(nc, b[:]); err != nil || b[0] != 'N' {
			t.Fatalf("answer to request %d = %q, %v, want 'N'", code, b[0], err)
		}
	}
	if _, err := nc.Write(startupBytes(3<<16, "user", "analyst")); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if _, err := io.ReadFull(nc, b[:]); err != nil || b[0] != 'R' {
		t.Fatalf("answer to the startup = %q, %v, want an authentication request", b[0], err)
	}
}

// TestNonLoopbackNeedsTLS checks a password is refused over a plain
// connection from another machine.
func TestNonLoopbackNeedsTLS(t *testing.T) {
	addrs, _ := net.InterfaceAddrs()
	var ip net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			ip = n.IP
			break
		}
	}
	if ip == nil {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	p := shared.p
	srv, err := pgwire.New(pgwire.Config{Engine: p.Engine, Auth: p.Access, Audit: p.Audit})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write(startupBytes(3<<16, "user", "analyst"))
	if got := readError(t, nc); got != "28000" {
		t.Errorf("plain connection from %s = %q, want 28000", ip, got)
	}
}
