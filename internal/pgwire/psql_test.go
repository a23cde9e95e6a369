package pgwire_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/meshwork/meshwork/internal/pgwire"
)

// psql runs the real psql client against s.
func psql(t *testing.T, s *server, user, sslmode string, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed (PATH): skipping the psql tests")
	}
	h, p := s.hostPort()
	conn := "host=" + h + " port=" + p + " user=" + user + " dbname=mesh sslmode=" + sslmode
	cmd := exec.Command(path, append([]string{conn, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"}, args...)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+shared.tokens[user], "PGCONNECT_TIMEOUT=10", "PSQLRC=/dev/null")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestPsql(t *testing.T) {
	s := startServer(t)
	tests := []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		{"select", []string{"-c", "SELECT 1 AS one, 'a' AS b, true AS c, DATE '2024-01-02' AS d, 1.50::DECIMAL(5,2) AS e"}, "1|a|t|2024-01-02|1.50\n", ""},
		{"governed", []string{"-c", "SELECT count(*) > 0 FROM customers.crm.customer"}, "t\n", ""},
		{"several", []string{"-c", "SET application_name = 'psql-test'; SHOW application_name"}, "SET\npsql-test\n", ""},
		{"timestamp", []string{"-c", "SELECT TIMESTAMP '2024-02-29 01:02:03.5', TIMESTAMPTZ '2024-02-29 01:02:03+00', '\\x0A\\xFF'::BLOB"}, "2024-02-29 01:02:03.5|2024-02-29 01:02:03+00|\\x0aff\n", ""},
		{"forbidden", []string{"-c", "DROP TABLE sales.orders.lineitem"}, "", "only SELECT statements are allowed"},
		{"stops on error", []string{"-c", "SELECT 1 FROM nope.nope.nope", "-c", "SELECT 2"}, "", "may not read nope.nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := psql(t, s, "analyst", "disable", tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(out, tt.wantErr) || strings.Contains(out, "2\n") {
					t.Errorf("psql %v = %q, %v; want a failure saying %q", tt.args, out, err, tt.wantErr)
				}
				return
			}
			if err != nil || out != tt.want {
				t.Errorf("psql %v = %q, %v; want %q", tt.args, out, err, tt.want)
			}
		})
	}
}

// TestPsqlTLS connects with sslmode=require to a server with a
// self-signed certificate, and checks the non-TLS refusal rule.
func TestPsqlTLS(t *testing.T) {
	cert := selfSigned(t)
	s := startServer(t, func(c *pgwire.Config) {
		c.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	})
	out, err := psql(t, s, "analyst", "require", "-c", "SELECT 'over tls'")
	if err != nil || out != "over tls\n" {
		t.Errorf("psql sslmode=require = %q, %v", out, err)
	}
	// Without a certificate, sslmode=require is refused by the client.
	plain := startServer(t)
	if out, err := psql(t, plain, "analyst", "require", "-c", "SELECT 1"); err == nil {
		t.Errorf("psql sslmode=require without a server certificate = %q, want a refusal", out)
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
