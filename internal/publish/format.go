package publish

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"os"
	"strings"

	"github.com/meshwork/meshwork/internal/errs"
)

// Format is an input format.
type Format string

// The input formats.
const (
	CSV     Format = "csv"
	NDJSON  Format = "ndjson"
	Parquet Format = "parquet"
)

// FormatOf maps a Content-Type to a format.
func FormatOf(contentType string) (Format, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch mt {
	case "text/csv", "application/csv":
		return CSV, nil
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines":
		return NDJSON, nil
	case "application/vnd.apache.parquet", "application/x-parquet", "application/parquet":
		return Parquet, nil
	}
	return "", errs.E(errs.Unsupported, "publish.FormatOf",
		"content type %q is not supported: send text/csv, application/x-ndjson or application/vnd.apache.parquet", contentType)
}

// ParseFormat parses a format name (csv, ndjson, parquet) or a file extension.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimPrefix(s, ".")) {
	case "csv":
		return CSV, nil
	case "ndjson", "jsonl", "json":
		return NDJSON, nil
	case "parquet":
		return Parquet, nil
	}
	return "", errs.E(errs.Unsupported, "publish.ParseFormat", "format %q is not supported: use csv, ndjson or parquet", s)
}

// ContentType is the media type of a format.
func (f Format) ContentType() string {
	switch f {
	case CSV:
		return "text/csv"
	case NDJSON:
		return "application/x-ndjson"
	}
	return "application/vnd.apache.parquet"
}

// csvHeader reads the header row of a spooled CSV file.
func csvHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(io.LimitReader(f, 1<<20), 64<<10))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errs.E(errs.Invalid, "publish.csvHeader", "the CSV file is empty: it needs a header row naming the columns")
		}
		return nil, errs.E(errs.Invalid, "publish.csvHeader", "the CSV header row cannot be read: %v", err)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(strings.TrimPrefix(rec[i], "\ufeff"))
	}
	return rec, nil
}

// maxNDJSONKeys bounds the distinct keys ndjsonKeys collects: past a few
// hundred, more of them only repeat that the file does not fit the contract,
// and holding them all would grow memory with the upload.
const maxNDJSONKeys = 1000

// ndjsonKeys returns the keys used by the first lines of a spooled NDJSON
// file (at most maxNDJSONKeys), in first-seen order, to detect fields the
// contract does not have.
func ndjsonKeys(path string, lines int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	seen := map[string]bool{}
	var keys []string
	for n := 1; n <= lines && sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(line, &obj); err != nil {
			return nil, errs.E(errs.Invalid, "publish.ndjsonKeys", "line %d is not a JSON object: %v", n, err)
		}
		for k := range obj {
			if !seen[k] {
				if len(keys) == maxNDJSONKeys {
					return keys, nil
				}
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, errs.E(errs.Invalid, "publish.ndjsonKeys", "the NDJSON file cannot be read: %v", err)
	}
	return keys, nil
}
