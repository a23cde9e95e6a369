package pgwire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// connReader reads the socket on its own goroutine, so that the connection
// learns at once when the client goes away, even in the middle of a query
// that has not sent anything yet. At most a few chunks are read ahead.
type connReader struct {
	once   sync.Once
	chunks chan []byte
	cur    []byte
	err    error         // why the socket ended; set before chunks is closed
	gone   chan struct{} // closed when the socket ends
	stop   chan struct{} // closed by the connection to end the goroutine
}

// The goroutine exits when the socket ends (the client leaves, or the
// connection closes it) or after stop, calling onGone on its way out.
func newConnReader(c net.Conn, onGone func()) *connReader {
	r := &connReader{chunks: make(chan []byte, 4), gone: make(chan struct{}), stop: make(chan struct{})}
	go r.run(c, onGone)
	return r
}

func (r *connReader) run(c net.Conn, onGone func()) {
	defer func() {
		close(r.chunks)
		close(r.gone)
		onGone()
	}()
	for {
		buf := make([]byte, 32<<10)
		n, err := c.Read(buf)
		if n > 0 {
			select {
			case r.chunks <- buf[:n]:
			case <-r.stop:
				r.err = io.ErrClosedPipe
				return
			}
		}
		if err != nil {
			r.err = err
			return
		}
	}
}

func (r *connReader) Read(p []byte) (int, error) {
	if len(r.cur) == 0 {
		var b []byte
		var ok bool
		select {
		case b, ok = <-r.chunks:
		case <-r.stop:
			return 0, errShutdown
		}
		if !ok {
			if r.err == nil {
				return 0, io.EOF
			}
			return 0, r.err
		}
		r.cur = b
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// errShutdown ends a connection's reads when the server closes.
var errShutdown = errors.New("pgwire: server shutting down")

// deadlineWriter bounds each write, so a client that stops reading cannot
// hold a query (and its engine connection) forever.
type deadlineWriter struct {
	c       net.Conn
	timeout time.Duration
}

func (w deadlineWriter) Write(p []byte) (int, error) {
	w.c.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.c.Write(p)
}

// wire writes backend messages into a buffer flushed at ReadyForQuery, on
// Flush, and whenever it fills.
type wire struct {
	bw  *bufio.Writer
	buf []byte
	err error // the first write error; later writes are dropped
}

func newWire(w io.Writer) *wire {
	return &wire{bw: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 4096)}
}

func (w *wire) send(m pgproto3.BackendMessage) {
	if w.err != nil {
		return
	}
	b, err := m.Encode(w.buf[:0])
	if err != nil {
		w.err = err
		return
	}
	w.buf = b[:0]
	_, w.err = w.bw.Write(b)
}

// writeRaw writes an already encoded message.
func (w *wire) writeRaw(b []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.bw.Write(b)
}

func (w *wire) flush() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.bw.Flush()
	return w.err
}

// startupMsg is the first message of a connection.
type startupMsg struct {
	code    uint32 // a protocol version, or one of the request codes
	params  map[string]string
	pid     uint32 // CancelRequest
	secret  []byte // CancelRequest
	options []string
}

// Startup request codes.
const (
	codeSSLRequest    = 80877103
	codeGSSENCRequest = 80877104
	codeCancelRequest = 80877102
)

// readStartup reads and checks the first message: a length, a code and,
// for StartupMessage, NUL-terminated name/value pairs.
func readStartup(r io.Reader) (startupMsg, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return startupMsg{}, err
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[:])))
	if n < 8 || n > maxStartupLen {
		return startupMsg{}, fatal(codeProtocol, "", "invalid length of startup packet: %d", n)
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return startupMsg{}, fatal(codeProtocol, "", "incomplete startup packet")
	}
	return parseStartup(body)
}

// parseStartup parses a startup packet's body (after the length).
func parseStartup(body []byte) (startupMsg, error) {
	m := startupMsg{code: binary.BigEndian.Uint32(body)}
	rest := body[4:]
	switch m.code {
	case codeSSLRequest, codeGSSENCRequest:
		if len(rest) != 0 {
			return m, fatal(codeProtocol, "", "invalid length of startup packet")
		}
		return m, nil
	case codeCancelRequest:
		// 4 bytes of secret in protocol 3.0, up to 256 in 3.2.
		if len(rest) < 8 || len(rest) > 4+256 {
			return m, fatal(codeProtocol, "", "invalid length of cancel request")
		}
		m.pid = binary.BigEndian.Uint32(rest)
		m.secret = append([]byte(nil), rest[4:]...)
		return m, nil
	}
	if major := m.code >> 16; major != 3 {
		return m, fatal(codeFeature, "", "unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major, m.code&0xffff)
	}
	m.params = map[string]string{}
	for {
		if len(rest) == 0 {
			return m, fatal(codeProtocol, "", "invalid startup packet layout: expected terminator as last byte")
		}
		if rest[0] == 0 {
			if len(rest) != 1 {
				return m, fatal(codeProtocol, "", "invalid startup packet layout: expected terminator as last byte")
			}
			return m, nil
		}
		k, v, after, ok := cutPair(rest)
		if !ok {
			return m, fatal(codeProtocol, "", "invalid startup packet layout: expected terminator as last byte")
		}
		if len(k) > 2 && k[:3] == "_pq" {
			m.options = append(m.options, k)
		} else {
			m.params[k] = v
		}
		rest = after
	}
}

func cutPair(b []byte) (k, v string, rest []byte, ok bool) {
	i := indexNUL(b)
	if i < 0 {
		return "", "", nil, false
	}
	k, b = string(b[:i]), b[i+1:]
	j := indexNUL(b)
	if j < 0 {
		return "", "", nil, false
	}
	return k, string(b[:j]), b[j+1:], true
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}
