package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/query"
)

// Authenticator turns a token into its principal (access.Store).
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (access.Principal, error)
}

// Auditor records security events (audit.Log).
type Auditor interface {
	Append(e audit.Event, details any)
}

// Engine runs governed queries (query.Engine).
type Engine interface {
	Query(ctx context.Context, sqlText string, timeout time.Duration, args ...any) (*query.Rows, error)
	Describe(ctx context.Context, sqlText string) (query.Description, error)
}

// Config configures a Server.
type Config struct {
	Engine   Engine
	Auth     Authenticator
	Audit    Auditor
	Metadata Metadata    // catalog queries; nil: every query goes to the engine
	TLS      *tls.Config // nil: SSLRequest is answered 'N'
	MaxConns int         // concurrent connections; 0: 64
	MaxRows  int64       // rows a query returns, as for the HTTP API; 0: no limit
	// StartupTimeout bounds the time from accept to the end of authentication; 0: 10s.
	StartupTimeout time.Duration
	// WriteTimeout bounds one write to a client that stopped reading; 0: 2 min.
	WriteTimeout time.Duration
	Logger       *slog.Logger
}

// Limits on incoming messages.
const (
	maxStartupLen = 10_000   // PostgreSQL's MAX_STARTUP_PACKET_LENGTH
	maxMessageLen = 16 << 20 // any message after startup
)

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("pgwire: server closed")

// Server is a PostgreSQL wire-protocol server. Safe for concurrent use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context // canceled by Close: ends every connection's queries
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]bool
	conns     map[*conn]bool
	byPID     map[uint32]*conn // authenticated connections, for CancelRequest
	active    int              // connections counted against MaxConns
	wg        sync.WaitGroup
}

// New returns a server; start it with Serve.
func New(c Config) (*Server, error) {
	if c.Engine == nil || c.Auth == nil {
		return nil, errs.E(errs.Internal, "pgwire.New", "an engine and an authenticator are required")
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 64
	}
	if c.StartupTimeout <= 0 {
		c.StartupTimeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 2 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{cfg: c, log: c.Logger.With("component", "pgwire"), ctx: ctx, cancel: cancel,
		listeners: map[net.Listener]bool{}, conns: map[*conn]bool{}, byPID: map[uint32]*conn{}}, nil
}

// Serve accepts connections on ln until Close. It returns ErrServerClosed
// after Close, or the listener's error.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and the like: back off, as net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := &conn{s: s, nc: nc, remote: nc.RemoteAddr().String()}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Close stops accepting, cancels running queries, closes every connection
// and waits for their goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.cancel()
	for _, c := range conns {
		c.shutdown()
	}
	done := make(chan struct{})
	go func() { // exits when the last connection has
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		// Clients that do not read their last messages: cut them off.
		for _, c := range conns {
			c.forceClose()
		}
		<-done
	}
	return nil
}

// admit counts a connection against the limit; false when over it.
func (s *Server) admit() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active >= s.cfg.MaxConns {
		return false
	}
	s.active++
	return true
}

func (s *Server) release() {
	s.mu.Lock()
	s.active--
	s.mu.Unlock()
}

// register gives c a process id and a secret for CancelRequest.
func (s *Server) register(c *conn) {
	var b [8]byte
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		rand.Read(b[:])
		pid := binary.BigEndian.Uint32(b[:4]) & 0x7fffffff // positive, as drivers expect
		if pid == 0 || s.byPID[pid] != nil {
			continue
		}
		c.pid, c.secret = pid, append([]byte(nil), b[4:]...)
		s.byPID[pid] = c
		return
	}
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	if s.byPID[c.pid] == c {
		delete(s.byPID, c.pid)
	}
	s.mu.Unlock()
}

// cancelQuery cancels the running query of the connection (pid, secret).
// Like PostgreSQL it says nothing about whether one matched.
func (s *Server) cancelQuery(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.byPID[pid]
	s.mu.Unlock()
	if c == nil || !c.secretMatches(secret) {
		s.log.Debug("cancel request matched no connection")
		return
	}
	c.cancelRunning()
}

// auditAuth records a refused connection, as the HTTP API records a
// refused request.
func (s *Server) auditAuth(user, remote string, err error) {
	if s.cfg.Audit == nil {
		return
	}
	_, msg := sqlState(err)
	s.cfg.Audit.Append(audit.Event{Action: "auth", Resource: "pgwire user " + clip(user), Outcome: audit.Denied},
		map[string]string{"reason": msg, "remote": remote})
}
