package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"
)

// timeFormat is how record times are stored: fixed width in UTC with
// nanoseconds, so that the text sorts as the time does and the hash covers
// exactly what is stored.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// hashDomain starts every hashed encoding, so that a record hash can never be
// mistaken for the hash of anything else the platform computes.
const hashDomain = "meshwork.audit.v1\x00"

// maxDetails is the largest details JSON stored; larger details are replaced
// by a note saying so, because a huge audit row is more likely a bug than
// evidence.
const maxDetails = 64 << 10

// Details stored in place of details that could not be marshaled or were too
// large: the event is recorded anyway.
const (
	unmarshalableDetails = `{"error":"unmarshalable details"}`
	tooLargeDetails      = `{"error":"details too large"}`
)

// record is one row of mesh_audit, every field as stored.
type record struct {
	seq       int64
	time      string
	principal string
	action    string
	resource  string
	outcome   string
	details   string // JSON, or "" for none
	prev      string
	hash      string
}

// canonical appends the unambiguous encoding of r's hashed fields (all but
// hash) to buf: a domain tag, seq as 8 bytes big-endian, then each text field
// as its length (8 bytes big-endian) followed by its bytes. Length prefixes
// make the encoding injective: ("ab", "c") and ("a", "bc") differ.
func canonical(buf []byte, r *record) []byte {
	buf = append(buf, hashDomain...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(r.seq))
	for _, f := range [...]string{r.time, r.principal, r.action, r.resource, r.outcome, r.details, r.prev} {
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(f)))
		buf = append(buf, f...)
	}
	return buf
}

// hasher computes record hashes, reusing one buffer. Not safe for
// concurrent use: the writer and each Verify have their own.
type hasher struct{ buf []byte }

// sum returns the hex sha256 of r's canonical encoding.
func (h *hasher) sum(r *record) string {
	h.buf = canonical(h.buf[:0], r)
	s := sha256.Sum256(h.buf)
	return hex.EncodeToString(s[:])
}

// marshalDetails returns the details JSON to store: "" for none (nil or JSON
// null), the compact JSON otherwise, and a note when details cannot be
// marshaled or are too large, so that the event itself is never lost.
func marshalDetails(details any) string {
	if details == nil {
		return ""
	}
	b, err := json.Marshal(details)
	switch {
	case err != nil:
		return unmarshalableDetails
	case len(b) > maxDetails:
		return tooLargeDetails
	case string(b) == "null":
		return ""
	}
	return string(b)
}

// event returns r as the package's exported type.
func (r *record) event() Event {
	t, _ := time.Parse(time.RFC3339Nano, r.time)
	e := Event{
		Seq: r.seq, Time: t, Principal: r.principal, Action: r.action, Resource: r.resource,
		Outcome: r.outcome, Prev: r.prev, Hash: r.hash,
	}
	if r.details != "" {
		e.Details = json.RawMessage(r.details)
	}
	return e
}
