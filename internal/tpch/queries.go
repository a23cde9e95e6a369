package tpch

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed queries/*.sql
var queryFS embed.FS

// Query returns TPC-H query n (1..22) as DuckDB SQL over the qualified mesh
// table names (TableNames), with the specification's validation substitution
// parameters. Each query is one SELECT statement (possibly with a WITH
// clause), without a trailing semicolon and without comments. The embedded
// .sql files start with a "--" line naming the query and its parameters;
// Query strips it.
func Query(n int) (string, error) {
	if n < 1 || n > 22 {
		return "", fmt.Errorf("tpch: query %d out of range 1..22", n)
	}
	b, err := queryFS.ReadFile(fmt.Sprintf("queries/q%02d.sql", n))
	if err != nil {
		return "", fmt.Errorf("tpch: query %d: %w", n, err)
	}
	q := strings.TrimSpace(string(b))
	for strings.HasPrefix(q, "--") {
		_, rest, _ := strings.Cut(q, "\n")
		q = strings.TrimSpace(rest)
	}
	return q, nil
}
