package audit

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/meshwork/meshwork/internal/errs"
)

// Problem is a break in the chain.
//
// Kinds: "modified" (a record's hash does not match its fields, or the last
// record does not match the chain head), "removed" (seqs Seq.. are missing
// before a later record), "reordered" (a record does not link to the record
// before it: records were swapped, or the one before was rewritten with a
// recomputed hash), "truncated" (the newest records, from Seq, are gone, or
// the chain head is).
type Problem struct {
	Seq     int64  `json:"seq"`
	Kind    string `json:"kind"` // "modified", "removed", "reordered", "truncated"
	Message string `json:"message"`
}

// The kinds of Problem.
const (
	Modified  = "modified"
	Removed   = "removed"
	Reordered = "reordered"
	Truncated = "truncated"
)

// MaxProblems is the most problems a Report lists; the rest are counted in
// Report.Omitted.
const MaxProblems = 100

// window is how many recent record hashes Verify remembers to say where a
// record that does not link to its predecessor links instead.
const window = 1024

// Report is Verify's result.
type Report struct {
	Records  int64     `json:"records"`
	OK       bool      `json:"ok"`
	Head     string    `json:"head"` // hash of the last record
	Problems []Problem `json:"problems,omitempty"`
	Omitted  int       `json:"omitted,omitempty"` // problems found beyond MaxProblems
}

// Verify walks the whole chain.
//
// It flushes first, then reads the records in seq order in one read
// transaction (a consistent snapshot, streamed, so memory does not grow with
// the log), recomputes every hash and checks every link and the chain head.
// It reports every problem found, up to MaxProblems. Records the writer
// could not commit were logged when that happened; Verify checks what is
// stored.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	const op = "audit.Verify"
	if err := l.Flush(ctx); err != nil && ctx.Err() != nil {
		return Report{}, err
	}
	tx, err := l.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Report{}, errs.Wrap(errs.Internal, op, err, "read the audit log")
	}
	defer func() { _ = tx.Rollback() }()
	// The head is read first, which starts the snapshot the rows are read in.
	headSeq, headHash, headFound, err := headRow(ctx, tx)
	if err != nil {
		return Report{}, err
	}
	rows, err := tx.QueryContext(ctx, selectRecords+` ORDER BY seq`)
	if err != nil {
		return Report{}, errs.Wrap(errs.Internal, op, err, "read the audit log")
	}
	defer rows.Close()
	v := newVerifier()
	for rows.Next() {
		r, null, err := scanRecord(rows)
		if err != nil {
			return Report{}, errs.Wrap(errs.Internal, op, err, "read the audit log")
		}
		v.check(&r, null)
	}
	if err := rows.Err(); err != nil {
		return Report{}, errs.Wrap(errs.Internal, op, err, "read the audit log")
	}
	v.checkHead(headSeq, headHash, headFound)
	return v.report(), nil
}

// verifier holds the state of one walk down the chain.
type verifier struct {
	h        hasher
	records  int64
	lastSeq  int64  // seq of the previous record (0 before the first)
	lastHash string // stored hash of the previous record ("" before the first)
	problems []Problem
	omitted  int

	// seen maps the hashes of the last window records to their seqs; ring
	// holds them in order, to forget the oldest.
	seen map[string]int64
	ring []seenHash
	next int // the oldest entry of ring once it is full
}

type seenHash struct {
	hash string
	seq  int64
}

func newVerifier() *verifier {
	return &verifier{seen: make(map[string]int64, window), ring: make([]seenHash, 0, window)}
}

func (v *verifier) add(seq int64, kind, format string, args ...any) {
	if len(v.problems) >= MaxProblems {
		v.omitted++
		return
	}
	v.problems = append(v.problems, Problem{Seq: seq, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

// check checks r against the record before it and against its own hash.
func (v *verifier) check(r *record, null bool) {
	v.records++
	switch {
	case r.seq < 1:
		v.add(r.seq, Modified, "record %d has a seq below 1", r.seq)
	case r.seq == v.lastSeq+2:
		v.add(v.lastSeq+1, Removed, "record %d was removed", v.lastSeq+1)
	case r.seq > v.lastSeq+1:
		v.add(v.lastSeq+1, Removed, "records %d..%d were removed", v.lastSeq+1, r.seq-1)
	case r.prev != v.lastHash:
		if v.records == 1 {
			v.add(r.seq, Reordered, "record %d starts the log but links to a record before it", r.seq)
		} else if k, ok := v.seen[r.prev]; ok && r.prev != "" {
			v.add(r.seq, Reordered, "record %d links to record %d, not to record %d: records were reordered", r.seq, k, v.lastSeq)
		} else {
			v.add(r.seq, Reordered, "record %d does not link to record %d: records were reordered, or record %d was rewritten with a recomputed hash",
				r.seq, v.lastSeq, v.lastSeq)
		}
	}
	if null {
		v.add(r.seq, Modified, "record %d has a NULL field", r.seq)
	} else if v.h.sum(r) != r.hash {
		v.add(r.seq, Modified, "record %d was modified: its hash does not match its contents", r.seq)
	}
	v.lastSeq, v.lastHash = max(r.seq, 0), r.hash
	v.remember(r.hash, r.seq)
}

// remember adds hash to the window of recent hashes, forgetting the oldest.
func (v *verifier) remember(hash string, seq int64) {
	if len(v.ring) == window {
		old := v.ring[v.next]
		if v.seen[old.hash] == old.seq {
			delete(v.seen, old.hash)
		}
		v.ring[v.next] = seenHash{hash, seq}
		v.next = (v.next + 1) % window
	} else {
		v.ring = append(v.ring, seenHash{hash, seq})
	}
	v.seen[hash] = seq
}

// checkHead compares the chain head with the last record: a head past the
// last record means the newest records were removed.
func (v *verifier) checkHead(seq int64, hash string, found bool) {
	switch {
	case !found && v.records > 0:
		v.add(v.lastSeq+1, Truncated, "the chain head is missing: records after %d may have been removed", v.lastSeq)
	case !found:
	case seq == v.lastSeq+1:
		v.add(v.lastSeq+1, Truncated, "record %d was removed from the end", seq)
	case seq > v.lastSeq:
		v.add(v.lastSeq+1, Truncated, "records %d..%d were removed from the end", v.lastSeq+1, seq)
	case seq < v.lastSeq:
		v.add(seq+1, Modified, "records %d..%d are past the chain head: the log did not write them", seq+1, v.lastSeq)
	case hash != v.lastHash:
		v.add(seq, Modified, "record %d does not match the chain head: it was rewritten with a recomputed hash, or the head was changed", seq)
	}
}

func (v *verifier) report() Report {
	return Report{
		Records:  v.records,
		OK:       len(v.problems) == 0 && v.omitted == 0,
		Head:     v.lastHash,
		Problems: v.problems,
		Omitted:  v.omitted,
	}
}
