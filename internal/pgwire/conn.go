package pgwire

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/query"
)

// conn is one client connection. Its messages are handled in order on the
// connection's goroutine; only cancellation comes from elsewhere.
type conn struct {
	s      *Server
	nc     net.Conn
	remote string
	tls    bool

	rd  *connReader
	be  *pgproto3.Backend
	w   *wire
	ctx context.Context // the principal's; canceled when the client goes away or the server closes
	end context.CancelFunc

	pid    uint32
	secret []byte
	user   string
	set    *settings
	tx     byte // 'I' idle, 'T' in a transaction block, 'E' in a failed one

	stmts    map[string]*prepared
	portals  map[string]*portal
	skipSync bool // an extended-protocol error: discard messages until Sync
	rowBuf   []byte

	mu      sync.Mutex
	running context.CancelFunc // the latest query's
	runID   uint64             // which query running belongs to
	closing bool
}

func (c *conn) serve() {
	log := c.s.log.With("remote", c.remote)
	defer c.nc.Close() // the socket itself, also under TLS: no close_notify to a client that may be stuck
	admitted := c.s.admit()
	if admitted {
		defer c.s.release()
	}
	user, err := c.startup(admitted)
	if err != nil {
		c.refuse(user, err, log)
		return
	}
	defer c.s.unregister(c)
	defer c.end()
	log = log.With("user", c.user, "pid", c.pid)
	log.Debug("connection authenticated", "tls", c.tls)
	err = c.loop()
	c.closePortals()
	c.rd.stopReading()
	switch {
	case errors.Is(err, errShutdown):
		c.w.send(errorResponse(fatal(codeAdminShutdown, "", "terminating connection due to administrator command")))
		_ = c.w.flush() // the connection ends either way
		log.Debug("connection closed by the server's shutdown")
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		log.Debug("connection closed")
	default:
		var pe *pgError
		if errors.As(err, &pe) {
			c.w.send(errorResponse(err))
			_ = c.w.flush() // the connection ends either way
		}
		log.Debug("connection ended", "err", err)
	}
}

// refuse ends a connection that did not get through startup. Errors the
// client must read are sent; a dead or silent client just goes.
func (c *conn) refuse(user string, err error, log interface {
	Debug(string, ...any)
	Info(string, ...any)
}) {
	var pe *pgError
	if errors.Is(err, errCancelRequest) || errors.Is(err, io.EOF) {
		return
	}
	if !errors.As(err, &pe) {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			log.Info("connection refused: startup timed out")
		} else {
			log.Debug("connection refused", "err", err)
		}
		return
	}
	if pe.code == codeBadPassword || pe.code == codeAuthSpec {
		c.s.auditAuth(user, c.remote, err)
	}
	log.Info("connection refused", "user", clip(user), "code", pe.code, "reason", pe.msg)
	w := c.w
	if w == nil {
		w = newWire(deadlineWriter{c.nc, 5 * time.Second})
	}
	w.send(errorResponse(err))
	_ = w.flush() // the connection ends either way
}

var errCancelRequest = errors.New("cancel request")

// startup runs the handshake up to ReadyForQuery: TLS, the startup packet,
// the password, the session's parameters. It returns the user named.
func (c *conn) startup(admitted bool) (string, error) {
	c.nc.SetDeadline(time.Now().Add(c.s.cfg.StartupTimeout))
	var m startupMsg
	var err error
	for tries := 0; ; tries++ {
		if m, err = readStartup(c.nc); err != nil {
			return "", err
		}
		if tries > 2 {
			return "", fatal(codeProtocol, "", "too many startup requests")
		}
		switch m.code {
		case codeCancelRequest:
			c.s.cancelQuery(m.pid, m.secret)
			return "", errCancelRequest
		case codeGSSENCRequest:
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return "", err
			}
			continue
		case codeSSLRequest:
			if c.tls || c.s.cfg.TLS == nil || !admitted {
				if _, err := c.nc.Write([]byte{'N'}); err != nil {
					return "", err
				}
				continue
			}
			if _, err := c.nc.Write([]byte{'S'}); err != nil {
				return "", err
			}
			tc := tls.Server(c.nc, c.s.cfg.TLS)
			if err := tc.Handshake(); err != nil {
				return "", err
			}
			c.mu.Lock()
			c.nc, c.tls = tc, true
			c.mu.Unlock()
			continue
		}
		break
	}
	user := m.params["user"]
	c.w = newWire(deadlineWriter{c.nc, c.s.cfg.WriteTimeout})
	if !admitted {
		return user, fatal(codeTooManyConns, "", "sorry, too many connections (limit %d)", c.s.cfg.MaxConns)
	}
	if m.code&0xffff != 0 || len(m.options) > 0 {
		// A newer minor version or protocol options: say what we speak.
		c.w.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: m.options})
	}
	if user == "" {
		return "", fatal(codeAuthSpec, "", "no PostgreSQL user name specified in startup packet")
	}
	if !c.tls && !isLoopback(c.nc.RemoteAddr()) {
		hint := "The server has no TLS certificate configured (mesh serve --pg-tls-cert/--pg-tls-key)."
		if c.s.cfg.TLS != nil {
			hint = "Connect with sslmode=require."
		}
		return user, &pgError{code: codeAuthSpec, fatal: true, hint: hint,
			msg: "password authentication is only allowed over TLS or from a loopback address: use TLS"}
	}
	ctx, end := context.WithCancel(c.s.ctx)
	c.s.wg.Add(1)
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		end()
		c.s.wg.Done()
		return user, fatal(codeAdminShutdown, "", "the server is shutting down")
	}
	c.rd = newConnReader(c.nc, func() { end(); c.s.wg.Done() })
	c.mu.Unlock()
	c.be = pgproto3.NewBackend(c.rd, io.Discard)
	c.be.SetMaxBodyLen(maxMessageLen)
	if err := c.be.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
		end()
		return user, err
	}
	c.w.send(&pgproto3.AuthenticationCleartextPassword{})
	if err := c.w.flush(); err != nil {
		end()
		return user, err
	}
	msg, err := c.be.Receive()
	if err != nil {
		end()
		c.rd.stopReading()
		return user, c.receiveError(err)
	}
	pw, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		end()
		c.rd.stopReading()
		return user, fatal(codeProtocol, "", "expected password response, got message type %T", msg)
	}
	p, err := c.s.cfg.Auth.Authenticate(ctx, pw.Password)
	if err == nil && p.Name != user {
		err = errors.New("token of another principal")
	}
	if err != nil {
		end()
		c.rd.stopReading()
		return user, fatal(codeBadPassword, "", "password authentication failed for user %q", clip(user))
	}
	c.nc.SetReadDeadline(time.Time{})
	c.nc.SetWriteDeadline(time.Time{})
	c.user = user
	c.ctx, c.end = query.WithDoor(access.WithPrincipal(ctx, p), query.DoorPGWire), end
	c.set = newSettings(user)
	for k, v := range m.params {
		c.startupParam(k, v)
	}
	c.s.register(c)
	c.tx = 'I'
	c.stmts, c.portals = map[string]*prepared{}, map[string]*portal{}
	c.w.send(&pgproto3.AuthenticationOk{})
	for _, kv := range c.set.reported() {
		c.w.send(&pgproto3.ParameterStatus{Name: kv[0], Value: kv[1]})
	}
	c.w.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	c.w.send(&pgproto3.ReadyForQuery{TxStatus: c.tx})
	return user, c.w.flush()
}

// startupParam applies a startup parameter. Unlike SET, a value the
// server does not support is ignored rather than fatal: drivers send their
// machine's defaults (JDBC sends the JVM's TimeZone), and the server then
// reports what it uses instead.
func (c *conn) startupParam(k, v string) {
	switch strings.ToLower(k) {
	case "user", "database", "replication", "options":
		return
	}
	if _, err := c.set.set(k, v, false); err != nil {
		c.s.log.Debug("startup parameter ignored", "name", clip(k), "err", err)
	}
}

func isLoopback(a net.Addr) bool {
	switch x := a.(type) {
	case *net.TCPAddr:
		return x.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return false
}

// receiveError turns a failure to read a message into what the client is told.
func (c *conn) receiveError(err error) error {
	var tooBig *pgproto3.ExceededMaxBodyLenErr
	switch {
	case errors.As(err, &tooBig):
		return fatal(codeProtocol, "", "message of %d bytes is larger than the limit of %d bytes", tooBig.ActualBodyLen, tooBig.MaxExpectedBodyLen)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrClosedPipe):
		return io.EOF
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, errShutdown):
		return err
	}
	return fatal(codeProtocol, "", "invalid frontend message: %s", clip(err.Error()))
}

func (c *conn) secretMatches(secret []byte) bool {
	return len(secret) == len(c.secret) && subtle.ConstantTimeCompare(secret, c.secret) == 1
}

// cancelRunning cancels the query running on c, if any.
func (c *conn) cancelRunning() {
	c.mu.Lock()
	if c.running != nil {
		c.running()
	}
	c.mu.Unlock()
}

// queryContext returns the context of one query, canceled by CancelRequest.
func (c *conn) queryContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(c.ctx)
	c.mu.Lock()
	c.runID++
	id := c.runID
	c.running = cancel
	c.mu.Unlock()
	return ctx, func() {
		c.mu.Lock()
		// A suspended portal may end after a newer query started: leave that one cancelable.
		if c.runID == id {
			c.running = nil
		}
		c.mu.Unlock()
		cancel()
	}
}

// shutdown ends the connection from outside (Server.Close): running
// queries are canceled through the server's context; the socket is closed
// so that a blocked read or write returns.
//
// An authenticated connection is asked to end: its next read fails, and it
// tells the client why (57P01) before closing. forceClose is for those
// that do not end in time.
func (c *conn) shutdown() {
	c.mu.Lock()
	c.closing = true
	nc, rd := c.nc, c.rd
	c.mu.Unlock()
	if rd == nil {
		nc.SetDeadline(time.Now())
		nc.Close()
		return
	}
	rd.stopReading()
}

func (c *conn) forceClose() {
	c.mu.Lock()
	nc := c.nc
	c.mu.Unlock()
	nc.SetDeadline(time.Now())
	nc.Close()
}

// stopReading ends the connection's reads, and the reader goroutine once
// the socket has something to say or is closed.
func (r *connReader) stopReading() {
	if r == nil {
		return
	}
	r.once.Do(func() { close(r.stop) })
}

// timeout is the query timeout of the session (statement_timeout), 0 for the engine's.
func (c *conn) timeout() time.Duration { return c.set.timeout }
