package query

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/meshwork/meshwork/internal/errs"
)

// Summary is what an encoder reports after writing a result.
type Summary struct {
	Rows      int64
	Truncated bool
}

// WriteJSON streams the result as one JSON object:
//
//	{"columns":[{"name","type"}],"rows":[[...],...],"rowCount":N,"truncated":false,"elapsedMs":1.2,"snapshots":{...}}
//
// Rows come before the counts so that nothing is buffered. At most maxRows
// rows are written (0: no limit); truncated says whether more were left out.
func WriteJSON(w io.Writer, r *Rows, maxRows int64) (Summary, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := compactEncoder{w: bw}
	var s Summary
	bw.WriteString(`{"columns":`)
	if err := enc.Encode(r.Columns); err != nil {
		return s, err
	}
	bw.WriteString(`,"rows":[`)
	row := make([]any, len(r.Columns))
	err := r.each(maxRows, &s, func(vals []any) error {
		for i, v := range vals {
			row[i] = JSONValue(v, r.Columns[i].Type)
		}
		if s.Rows > 0 {
			bw.WriteByte(',')
		}
		return enc.Encode(row)
	})
	var re readError
	if errors.As(err, &re) {
		return s, jsonTrailerError(bw, s, re.err)
	}
	if err != nil {
		return s, err
	}
	bw.WriteString(`],"rowCount":` + strconv.FormatInt(s.Rows, 10))
	bw.WriteString(`,"truncated":` + strconv.FormatBool(s.Truncated))
	bw.WriteString(`,"elapsedMs":` + strconv.FormatFloat(float64(r.Elapsed().Microseconds())/1000, 'f', 3, 64))
	bw.WriteString(`,"snapshots":`)
	if err := enc.Encode(r.Snapshots); err != nil {
		return s, err
	}
	bw.WriteString("}\n")
	return s, bw.Flush()
}

// readError marks a failure to read the result, as opposed to a failure
// of the encoder or the client connection.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }

func unwrapRead(err error) error {
	var re readError
	if errors.As(err, &re) {
		return re.err
	}
	return err
}

// each calls fn with each row, at most maxRows of them (0: no limit),
// counting them in s and setting s.Truncated when rows were left out. The
// three encoders share it, so they agree on what a limit means.
func (r *Rows) each(maxRows int64, s *Summary, fn func(vals []any) error) error {
	for r.Next() {
		if maxRows > 0 && s.Rows >= maxRows {
			s.Truncated = true
			return nil
		}
		vals, err := r.Values()
		if err != nil {
			return readError{err}
		}
		if err := fn(vals); err != nil {
			return err
		}
		s.Rows++
	}
	if err := r.Err(); err != nil {
		return readError{err}
	}
	return nil
}

// jsonTrailerError ends a JSON result that failed after rows were sent:
// the status line is gone, so the error goes into the object itself.
func jsonTrailerError(bw *bufio.Writer, s Summary, err error) error {
	kind, msg, _ := errs.Public(err)
	b, _ := json.Marshal(map[string]string{"code": kind.String(), "message": msg})
	bw.WriteString(`],"rowCount":` + strconv.FormatInt(s.Rows, 10) + `,"truncated":true,"error":`)
	bw.Write(b)
	bw.WriteString("}\n")
	_ = bw.Flush() // the client may be gone; err is what matters
	return err
}

// compactEncoder writes JSON values without the newline json.Encoder adds.
type compactEncoder struct{ w *bufio.Writer }

func (e compactEncoder) Encode(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = e.w.Write(b)
	return err
}

// WriteCSV streams the result as CSV with a header row.
func WriteCSV(w io.Writer, r *Rows, maxRows int64) (Summary, error) {
	cw := csv.NewWriter(w)
	var s Summary
	rec := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		rec[i] = c.Name
	}
	if err := cw.Write(rec); err != nil {
		return s, err
	}
	err := r.each(maxRows, &s, func(vals []any) error {
		for i, v := range vals {
			rec[i] = Text(v, r.Columns[i].Type)
		}
		return cw.Write(rec)
	})
	if err != nil {
		return s, unwrapRead(err)
	}
	cw.Flush()
	return s, cw.Error()
}

// ElapsedMs is a duration in milliseconds, for reports.
func ElapsedMs(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
