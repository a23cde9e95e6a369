package pgwire

import (
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/meshwork/meshwork/internal/query"
)

// loop handles messages until the client terminates or goes away.
func (c *conn) loop() error {
	for {
		msg, err := c.be.Receive()
		if err != nil {
			return c.receiveError(err)
		}
		if c.skipSync {
			switch msg.(type) {
			case *pgproto3.Sync:
			case *pgproto3.Terminate:
				return nil
			default:
				continue
			}
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			c.simpleQuery(m.String)
		case *pgproto3.Parse:
			c.extended(c.parse(m))
		case *pgproto3.Bind:
			c.extended(c.bind(m))
		case *pgproto3.Describe:
			c.extended(c.describe(m))
		case *pgproto3.Execute:
			c.extended(c.execute(m))
		case *pgproto3.Close:
			c.extended(c.closeObject(m))
		case *pgproto3.Sync:
			c.skipSync = false
			if c.tx == 'I' {
				// The end of an implicit transaction ends its portals.
				c.closePortals()
			}
			c.w.send(&pgproto3.ReadyForQuery{TxStatus: c.tx})
			if err := c.w.flush(); err != nil {
				return err
			}
		case *pgproto3.Flush:
			if err := c.w.flush(); err != nil {
				return err
			}
		case *pgproto3.Terminate:
			return nil
		case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			// Outside COPY these are ignored, as by PostgreSQL.
		case *pgproto3.FunctionCall:
			c.fail(newPgError(codeFeature, "the function call protocol is not supported"))
			c.w.send(&pgproto3.ReadyForQuery{TxStatus: c.tx})
			if err := c.w.flush(); err != nil {
				return err
			}
		default:
			return fatal(codeProtocol, "", "unexpected message %T", msg)
		}
		if c.w.err != nil {
			return c.w.err
		}
	}
}

// extended finishes an extended-protocol message: on error, the error is
// sent and everything up to Sync is discarded.
func (c *conn) extended(err error) {
	if err == nil {
		return
	}
	c.fail(err)
	c.skipSync = true
}

// fail sends err and marks an open transaction block as failed.
func (c *conn) fail(err error) {
	c.w.send(errorResponse(err))
	if c.tx == 'T' {
		c.tx = 'E'
	}
}

// simpleQuery runs a Query message: its statements in order, stopping at
// the first error, then ReadyForQuery.
func (c *conn) simpleQuery(sql string) {
	delete(c.stmts, "")
	c.dropPortal("")
	stmts := splitStatements(sql)
	if len(stmts) == 0 {
		c.w.send(&pgproto3.EmptyQueryResponse{})
	}
	for _, s := range stmts {
		st := classify(s, c.s.cfg.Metadata)
		if err := c.runSimple(st); err != nil {
			c.fail(err)
			break
		}
	}
	c.w.send(&pgproto3.ReadyForQuery{TxStatus: c.tx})
	_ = c.w.flush() // a dead client fails the loop's next read
}

func (c *conn) runSimple(st statement) error {
	if err := c.txAllows(st); err != nil {
		return err
	}
	p := &portal{stmt: &prepared{st: st}}
	defer p.close()
	if st.kind == stmtQuery || st.kind == stmtMeta || st.kind == stmtShow {
		if err := c.start(p, nil); err != nil {
			return err
		}
		c.w.send(p.rowDescription())
	}
	return c.run(p, 0)
}

// txAllows refuses everything but the end of a failed transaction block.
func (c *conn) txAllows(st statement) error {
	if c.tx == 'E' && st.kind != stmtCommit && st.kind != stmtRollback {
		return newPgError(codeInFailedTx, "current transaction is aborted, commands ignored until end of transaction block")
	}
	return nil
}

// session runs a session statement; it returns the command tag.
func (c *conn) session(st statement) (string, error) {
	switch st.kind {
	case stmtEmpty:
		return "", nil
	case stmtSet:
		s, err := c.set.set(st.name, st.value, st.def)
		if err != nil {
			return "", err
		}
		if s.report {
			_, v, _ := c.set.show(st.name)
			c.w.send(&pgproto3.ParameterStatus{Name: s.name, Value: v})
		}
	case stmtReset:
		names := []string{st.name}
		if st.name == "all" {
			names = names[:0]
			for k, s := range knownSettings {
				if !s.readOnly {
					names = append(names, k)
				}
			}
		}
		for _, n := range names {
			s, err := c.set.set(n, "", true)
			if err != nil {
				return "", err
			}
			if s.report {
				_, v, _ := c.set.show(n)
				c.w.send(&pgproto3.ParameterStatus{Name: s.name, Value: v})
			}
		}
	case stmtBegin:
		if c.tx == 'T' {
			c.w.send(&pgproto3.NoticeResponse{Severity: "WARNING", SeverityUnlocalized: "WARNING", Code: "25001",
				Message: "there is already a transaction in progress"})
		}
		c.tx = 'T'
	case stmtCommit, stmtRollback:
		tag := st.tag
		if c.tx == 'E' {
			tag = "ROLLBACK"
		}
		c.tx = 'I'
		return tag, nil
	case stmtDiscard:
		if st.name != "all" {
			return "", newPgError(codeFeature, "DISCARD %s is not supported; use DISCARD ALL", st.name)
		}
		c.closePortals()
		c.stmts = map[string]*prepared{}
		c.set = newSettings(c.user)
	case stmtDeallocate:
		if st.def {
			c.stmts = map[string]*prepared{}
		} else if _, ok := c.stmts[st.name]; !ok {
			return "", newPgError(codeInvalidStmtName, "prepared statement %q does not exist", clip(st.name))
		} else {
			delete(c.stmts, st.name)
		}
	}
	return st.tag, nil
}

// show answers SHOW name and SHOW ALL.
func (c *conn) show(st statement) ([]query.Column, [][]any, error) {
	if st.name == "all" {
		var rows [][]any
		for _, kv := range c.set.all() {
			rows = append(rows, []any{kv[0], kv[1]})
		}
		return []query.Column{{Name: "name", Type: "VARCHAR"}, {Name: "setting", Type: "VARCHAR"}}, rows, nil
	}
	name, v, err := c.set.show(st.name)
	if err != nil {
		return nil, nil, err
	}
	return []query.Column{{Name: strings.ToLower(name), Type: "VARCHAR"}}, [][]any{{v}}, nil
}

func selectTag(n int64) string { return "SELECT " + itoa(n) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
