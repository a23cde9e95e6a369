package event

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// maxURL is the longest target URL accepted.
const maxURL = 2048

// CheckURL validates a subscription target: an absolute http or https URL
// with a host, no user information and no fragment. The address it
// resolves to is checked when dialling (see dialControl).
func CheckURL(raw string) (*url.URL, error) {
	const op = "event.CheckURL"
	if len(raw) > maxURL {
		return nil, errs.E(errs.Invalid, op, "url: longer than %d bytes", maxURL)
	}
	if strings.ContainsAny(raw, " \t\r\n\x00") {
		return nil, errs.E(errs.Invalid, op, "url: must not contain spaces or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errs.E(errs.Invalid, op, "url: not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errs.E(errs.Invalid, op, "url: must be http(s)")
	}
	if u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return nil, errs.E(errs.Invalid, op, "url: must name a host")
	}
	if u.User != nil {
		return nil, errs.E(errs.Invalid, op, "url: must not carry user information (put credentials in the receiver's check of the signature)")
	}
	if u.Fragment != "" {
		return nil, errs.E(errs.Invalid, op, "url: must not have a fragment")
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 {
			return nil, errs.E(errs.Invalid, op, "url: bad port")
		}
	}
	return u, nil
}

// blocked reports whether a target may not be dialled unless private
// targets are allowed: loopback, private, link-local, unspecified,
// multicast and the like (the cloud metadata address among them).
func blocked(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() ||
		(a.Is4() && a.As4()[0] == 100 && a.As4()[1]&0xc0 == 64) || // 100.64.0.0/10, carrier-grade NAT
		(a.Is4() && a.As4()[0] == 0)
}

// dialControl refuses connections to blocked addresses. It runs on the
// address actually dialled, after resolution, so a name that resolves (or
// re-resolves) to a private address is refused too.
func dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("target address %q: %w", address, err)
	}
	if blocked(ap.Addr()) {
		return fmt.Errorf("target %s is a private, loopback or link-local address (mesh serve --webhook-allow-private allows it)", ap.Addr())
	}
	return nil
}

// newClient returns the HTTP client deliveries use: no redirects, a
// timeout per attempt, and, unless allowPrivate, no private targets.
func newClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		d.Control = dialControl
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial on our behalf, past the address check
		DialContext:           func(ctx context.Context, n, a string) (net.Conn, error) { return d.DialContext(ctx, n, a) },
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
