package pgwire

import (
	"encoding/binary"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/meshwork/meshwork/internal/query"
)

// prepared is a parsed statement (named, or the unnamed one).
type prepared struct {
	st        statement
	paramOIDs []uint32
	cols      []query.Column // the result's columns, once described
	described bool
}

// portal is a bound statement, and its result once it has started.
type portal struct {
	stmt    *prepared
	args    []any
	formats []int16 // result formats as bound: none (text), one for all, or one per column

	res     result
	types   []pgType
	fmts    []int16 // one per column
	sent    int64
	pending bool // res is on a row that was fetched but not sent (after PortalSuspended)
	done    bool
	release func()
}

// result is a running query's rows: the engine's, or rows computed here.
type result interface {
	columns() []query.Column
	next() bool
	values() ([]any, error)
	err() error
	fail(error)
	close()
}

type engineResult struct{ r *query.Rows }

func (e engineResult) columns() []query.Column { return e.r.Columns }
func (e engineResult) next() bool              { return e.r.Next() }
func (e engineResult) values() ([]any, error)  { return e.r.Values() }
func (e engineResult) err() error              { return e.r.Err() }
func (e engineResult) fail(err error)          { e.r.Fail(err) }
func (e engineResult) close()                  { e.r.Close() }

type staticResult struct {
	cols []query.Column
	rows [][]any
	i    int
}

func (s *staticResult) columns() []query.Column { return s.cols }
func (s *staticResult) next() bool              { s.i++; return s.i <= len(s.rows) }
func (s *staticResult) values() ([]any, error)  { return s.rows[s.i-1], nil }
func (s *staticResult) err() error              { return nil }
func (s *staticResult) fail(error)              {}
func (s *staticResult) close()                  {}

func (p *portal) close() {
	if p.res != nil {
		p.res.close()
		p.res = nil
	}
	if p.release != nil {
		p.release()
		p.release = nil
	}
}

func (c *conn) closePortals() {
	for name, p := range c.portals {
		p.close()
		delete(c.portals, name)
	}
}

func (c *conn) dropPortal(name string) {
	if p, ok := c.portals[name]; ok {
		p.close()
		delete(c.portals, name)
	}
}

func (c *conn) parse(m *pgproto3.Parse) error {
	if _, ok := c.stmts[m.Name]; ok && m.Name != "" {
		return newPgError("42P05", "prepared statement %q already exists", clip(m.Name))
	}
	if len(splitStatements(m.Query)) > 1 {
		return newPgError(codeSyntax, "cannot insert multiple commands into a prepared statement")
	}
	st := classify(m.Query, c.s.cfg.Metadata)
	p := &prepared{st: st}
	switch st.kind {
	case stmtQuery:
		if err := c.txAllows(st); err != nil {
			return err
		}
		ctx, release := c.queryContext()
		d, err := c.s.cfg.Engine.Describe(ctx, st.sql)
		release()
		if err != nil {
			return err
		}
		p.cols, p.described = d.Columns, true
		for _, t := range d.Params {
			p.paramOIDs = append(p.paramOIDs, paramType(t))
		}
	case stmtMeta:
		// Catalog queries take their parameters as text.
		n := countParams(st.sql)
		for i := 0; i < n; i++ {
			p.paramOIDs = append(p.paramOIDs, oidText)
		}
	case stmtShow:
		cols, _, err := c.show(st)
		if err != nil {
			return err
		}
		p.cols, p.described = cols, true
	}
	for i, oid := range m.ParameterOIDs {
		if i >= len(p.paramOIDs) {
			p.paramOIDs = append(p.paramOIDs, oidText)
		}
		if oid != 0 {
			p.paramOIDs[i] = oid
		}
	}
	c.stmts[m.Name] = p
	c.w.send(&pgproto3.ParseComplete{})
	return nil
}

func (c *conn) bind(m *pgproto3.Bind) error {
	stmt, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return newPgError(codeInvalidStmtName, "prepared statement %q does not exist", clip(m.PreparedStatement))
	}
	if _, ok := c.portals[m.DestinationPortal]; ok && m.DestinationPortal != "" {
		return newPgError("42P03", "portal %q already exists", clip(m.DestinationPortal))
	}
	c.dropPortal(m.DestinationPortal)
	args, err := decodeParams(stmt.paramOIDs, m.ParameterFormatCodes, m.Parameters)
	if err != nil {
		return err
	}
	p := &portal{stmt: stmt, args: args, formats: append([]int16(nil), m.ResultFormatCodes...)}
	if stmt.st.kind == stmtMeta {
		// Catalog answers are small and their columns are known only once run.
		if err := c.start(p, args); err != nil {
			return err
		}
	}
	c.portals[m.DestinationPortal] = p
	c.w.send(&pgproto3.BindComplete{})
	return nil
}

func (c *conn) describe(m *pgproto3.Describe) error {
	if m.ObjectType == 'S' {
		stmt, ok := c.stmts[m.Name]
		if !ok {
			return newPgError(codeInvalidStmtName, "prepared statement %q does not exist", clip(m.Name))
		}
		if stmt.st.kind == stmtMeta && !stmt.described {
			ctx, release := c.queryContext()
			cols, _, err := c.s.cfg.Metadata.Query(ctx, stmt.st.sql, make([]any, len(stmt.paramOIDs)))
			release()
			if err != nil {
				return err
			}
			stmt.cols, stmt.described = cols, true
		}
		c.w.send(&pgproto3.ParameterDescription{ParameterOIDs: stmt.paramOIDs})
		if !stmt.described || len(stmt.cols) == 0 {
			c.w.send(&pgproto3.NoData{})
			return nil
		}
		types := columnTypes(stmt.cols)
		c.w.send(rowDescription(stmt.cols, types, make([]int16, len(types))))
		return nil
	}
	p, ok := c.portals[m.Name]
	if !ok {
		return newPgError(codeInvalidPortal, "portal %q does not exist", clip(m.Name))
	}
	if p.res == nil && !p.stmt.described {
		c.w.send(&pgproto3.NoData{})
		return nil
	}
	if err := p.resolve(p.stmt.cols); err != nil {
		return err
	}
	if len(p.types) == 0 {
		c.w.send(&pgproto3.NoData{})
		return nil
	}
	c.w.send(p.rowDescription())
	return nil
}

func (c *conn) execute(m *pgproto3.Execute) error {
	p, ok := c.portals[m.Portal]
	if !ok {
		return newPgError(codeInvalidPortal, "portal %q does not exist", clip(m.Portal))
	}
	if p.done {
		c.w.send(&pgproto3.CommandComplete{CommandTag: []byte(selectTag(0))})
		return nil
	}
	if err := c.txAllows(p.stmt.st); err != nil {
		return err
	}
	if p.stmt.st.kind == stmtEmpty {
		c.w.send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if p.res == nil && (p.stmt.st.kind == stmtQuery || p.stmt.st.kind == stmtShow) {
		if err := c.start(p, p.args); err != nil {
			return err
		}
	}
	return c.run(p, int64(m.MaxRows))
}

func (c *conn) closeObject(m *pgproto3.Close) error {
	if m.ObjectType == 'S' {
		delete(c.stmts, m.Name)
	} else {
		c.dropPortal(m.Name)
	}
	c.w.send(&pgproto3.CloseComplete{})
	return nil
}

// start runs the portal's statement: the engine for queries, Metadata for
// catalog queries, the session for SHOW.
func (c *conn) start(p *portal, args []any) error {
	st := p.stmt.st
	switch st.kind {
	case stmtQuery:
		ctx, release := c.queryContext()
		rows, err := c.s.cfg.Engine.Query(ctx, st.sql, c.timeout(), args...)
		if err != nil {
			release()
			return err
		}
		p.res, p.release = engineResult{rows}, release
	case stmtMeta:
		ctx, release := c.queryContext()
		cols, rows, err := c.s.cfg.Metadata.Query(ctx, st.sql, args)
		release()
		if err != nil {
			return err
		}
		p.res = &staticResult{cols: cols, rows: rows}
	case stmtShow:
		cols, rows, err := c.show(st)
		if err != nil {
			return err
		}
		p.res = &staticResult{cols: cols, rows: rows}
	default:
		return nil
	}
	// The types announced by Describe are the contract: encode by them.
	cols := p.res.columns()
	if p.stmt.described && len(p.stmt.cols) == len(cols) {
		cols = p.stmt.cols
	}
	return p.resolve(cols)
}

// resolve fixes the portal's column types and formats.
func (p *portal) resolve(cols []query.Column) error {
	if p.types != nil {
		return nil
	}
	p.types = columnTypes(cols)
	p.fmts = make([]int16, len(cols))
	switch {
	case len(p.formats) == 1:
		for i := range p.fmts {
			p.fmts[i] = p.formats[0]
		}
	case len(p.formats) == len(cols):
		copy(p.fmts, p.formats)
	case len(p.formats) != 0:
		return newPgError(codeProtocol, "bind message has %d result formats but query has %d columns", len(p.formats), len(cols))
	}
	for _, f := range p.fmts {
		if f != 0 && f != 1 {
			return newPgError(codeProtocol, "unsupported format code: %d", f)
		}
	}
	p.stmt.cols = cols
	return nil
}

func (p *portal) rowDescription() *pgproto3.RowDescription {
	return rowDescription(p.stmt.cols, p.types, p.fmts)
}

func columnTypes(cols []query.Column) []pgType {
	types := make([]pgType, len(cols))
	for i, col := range cols {
		types[i] = typeOf(col.Type)
	}
	return types
}

func rowDescription(cols []query.Column, types []pgType, fmts []int16) *pgproto3.RowDescription {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		fields[i] = pgproto3.FieldDescription{Name: []byte(col.Name), DataTypeOID: types[i].oid,
			DataTypeSize: types[i].size, TypeModifier: types[i].typmod, Format: fmts[i]}
	}
	return &pgproto3.RowDescription{Fields: fields}
}

// run sends the portal's rows, at most maxRows of them (0: all). When rows
// are left it sends PortalSuspended and keeps the portal for the next Execute.
func (c *conn) run(p *portal, maxRows int64) error {
	st := p.stmt.st
	if p.res == nil {
		tag, err := c.session(st)
		if err != nil {
			return err
		}
		if tag != "" {
			c.w.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
		} else if st.kind == stmtEmpty {
			c.w.send(&pgproto3.EmptyQueryResponse{})
		}
		p.done = true
		return nil
	}
	limit := c.s.cfg.MaxRows
	var n int64
	for maxRows == 0 || n < maxRows {
		if !p.pending && !p.res.next() {
			return c.finish(p)
		}
		p.pending = false
		if limit > 0 && p.sent >= limit && st.kind == stmtQuery {
			c.w.send(&pgproto3.NoticeResponse{Severity: "WARNING", SeverityUnlocalized: "WARNING", Code: "01000",
				Message: "the result was truncated at the server's limit of " + itoa(limit) + " rows"})
			return c.finish(p)
		}
		vals, err := p.res.values()
		if err != nil {
			return c.abort(p, err)
		}
		if err := c.writeRow(vals, p.types, p.fmts); err != nil {
			p.res.fail(err)
			return c.abort(p, err)
		}
		if c.w.err != nil {
			p.res.fail(c.w.err)
			return c.abort(p, c.w.err)
		}
		p.sent++
		n++
	}
	if p.res.next() {
		p.pending = true
		c.w.send(&pgproto3.PortalSuspended{})
		return nil
	}
	return c.finish(p)
}

// finish ends a portal's rows: CommandComplete, or the error that stopped them.
func (c *conn) finish(p *portal) error {
	err := p.res.err()
	p.close()
	p.done = true
	if err != nil {
		return err
	}
	tag := selectTag(p.sent)
	if p.stmt.st.kind == stmtShow {
		tag = "SHOW"
	}
	c.w.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	return nil
}

func (c *conn) abort(p *portal, err error) error {
	p.close()
	p.done = true
	return err
}

// writeRow encodes one DataRow straight into the output buffer: no
// per-row allocation on the path that carries a million rows.
func (c *conn) writeRow(vals []any, types []pgType, fmts []int16) error {
	b := append(c.rowBuf[:0], 'D', 0, 0, 0, 0, byte(len(vals)>>8), byte(len(vals))) //nolint:gocritic // reuses rowBuf's storage; stored back below
	for i, v := range vals {
		if v == nil {
			b = append(b, 0xff, 0xff, 0xff, 0xff)
			continue
		}
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		if fmts[i] == 1 {
			var err error
			if b, err = appendBinary(b, v, &types[i]); err != nil {
				c.rowBuf = b[:0]
				return newPgError(codeFeature, "column %d cannot be sent in binary format: %v", i+1, err)
			}
		} else {
			b = appendText(b, v, &types[i])
		}
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	binary.BigEndian.PutUint32(b[1:], uint32(len(b)-1))
	c.rowBuf = b
	c.w.writeRaw(b)
	return nil
}
