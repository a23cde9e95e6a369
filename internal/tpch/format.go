package tpch

import (
	"io"
	"strconv"
	"time"
)

// Day numbers count days since 1992-01-01 (the TPC-H STARTDATE).
var (
	epoch       = time.Date(1992, 1, 1, 0, 0, 0, 0, time.UTC)
	currentDate = dayOf(1995, 6, 17)        // CURRENTDATE
	lastOrder   = dayOf(1998, 12, 31) - 151 // ENDDATE - 151 days = 1998-08-02
	maxDay      = lastOrder + 121 + 30 + 1  // latest possible l_receiptdate + 1
	dateText    = buildDates(int(maxDay))   // "YYYY-MM-DD" per day number
)

func dayOf(y int, m time.Month, d int) int32 {
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(epoch).Hours() / 24)
}

func buildDates(n int) []byte {
	b := make([]byte, 0, n*10)
	for i := range n {
		b = epoch.AddDate(0, 0, i).AppendFormat(b, time.DateOnly)
	}
	return b
}

func appendDate(b []byte, day int32) []byte {
	return append(b, dateText[int(day)*10:int(day)*10+10]...)
}

// appendCents appends a DECIMAL(15,2) value given in hundredths.
func appendCents(b []byte, c int64) []byte {
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	b = strconv.AppendInt(b, c/100, 10)
	f := c % 100
	return append(b, '.', byte('0'+f/10), byte('0'+f%10))
}

// appendPad appends v (>= 0) zero-padded to width digits.
func appendPad(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || i == len(tmp) {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	for n := len(tmp) - i; n < width; n++ {
		b = append(b, '0')
	}
	return append(b, tmp[i:]...)
}

// appendField appends s as a CSV field, quoted per RFC 4180 when needed.
func appendField[T string | []byte](b []byte, s T) []byte {
	need := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ',' || c == '"' || c == '\n' || c == '\r' {
			need = true
			break
		}
	}
	if !need {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendPhone appends a phone number "CC-LLL-LLL-LLLL" with country code
// nationkey+10 (clause 4.2.2.9).
func appendPhone(b []byte, r *rng, nation int64) []byte {
	b = strconv.AppendInt(b, nation+10, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, r.between(100, 999), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, r.between(100, 999), 10)
	b = append(b, '-')
	return strconv.AppendInt(b, r.between(1000, 9999), 10)
}

const vchars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-"

// appendVString appends a random string of length [minLen, maxLen] (addresses).
func appendVString(b []byte, r *rng, minLen, maxLen int64) []byte {
	n := r.between(minLen, maxLen)
	for range n {
		b = append(b, vchars[r.intn(int64(len(vchars)))])
	}
	return b
}

// csvWriter batches rows into a buffer and writes it out in large chunks.
type csvWriter struct {
	w   io.Writer
	buf []byte
	err error
}

const flushSize = 64 << 10

func newCSVWriter(w io.Writer) *csvWriter {
	return &csvWriter{w: w, buf: make([]byte, 0, flushSize+4096)}
}

// endRow terminates the current row and flushes when the buffer is full.
// It reports false once a write has failed.
func (c *csvWriter) endRow() bool {
	c.buf = append(c.buf, '\n')
	if len(c.buf) >= flushSize {
		c.flush()
	}
	return c.err == nil
}

func (c *csvWriter) flush() {
	if c.err != nil || len(c.buf) == 0 {
		return
	}
	_, c.err = c.w.Write(c.buf)
	c.buf = c.buf[:0]
}
