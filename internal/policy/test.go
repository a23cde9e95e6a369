package policy

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/meshwork/meshwork/internal/errs"
)

// Test runs the Rego tests (test_* rules) of dir, writing a human report to w.
// The policies are compiled as Load compiles them, with the *_test.rego files
// added. A bundle that does not compile is an errs.Invalid naming file:line;
// failing tests are not an error: they are results with Pass false.
func Test(ctx context.Context, dir string, w io.Writer) ([]TestResult, error) {
	const op = "policy.Test"
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if err == nil {
			return nil, errs.E(errs.Invalid, op, "the policy directory %s is not a directory", dir)
		}
		return nil, errs.Wrap(errs.Invalid, op, err, "the policy directory %s cannot be read", dir)
	}
	display := func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) }
	src, err := readBundle(op, os.DirFS(dir), true, display)
	if err != nil {
		return nil, err
	}
	store, err := newStore(src.data)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, err, "the policy data cannot be loaded")
	}
	ch, err := tester.NewRunner().
		SetCompiler(newCompiler()).
		SetStore(store).
		SetModules(src.modules).
		RaiseBuiltinErrors(true).
		RunTests(ctx, nil)
	if err != nil {
		if problems := astProblems(err, "", display); len(problems) > 0 && problems[0].Line > 0 {
			return nil, invalid(op, "the policy tests do not compile", problems)
		}
		return nil, errs.Wrap(errs.Invalid, op, err, "the policy tests cannot be run")
	}
	var results []TestResult
	for r := range ch {
		tr := TestResult{Name: r.Package + "." + r.Name, Pass: r.Pass()}
		if r.Location != nil {
			tr.File = filepath.ToSlash(r.Location.File)
		}
		switch {
		case r.Skip:
			tr.Message = "skipped"
		case r.Error != nil:
			tr.Message = r.Error.Error()
		case r.Fail:
			tr.Message = "the test is false or undefined"
			if r.FailedAt != nil && r.FailedAt.Location != nil {
				tr.Message += " at line " + strconv.Itoa(r.FailedAt.Location.Row) + ": " + r.FailedAt.String()
			}
		}
		if len(r.Output) > 0 {
			tr.Message = strings.TrimSpace(tr.Message + "\n" + string(r.Output))
		}
		results = append(results, tr)
	}
	if err := ctx.Err(); err != nil {
		return nil, errs.Wrap(errs.KindOf(err), op, err, "the policy tests were interrupted")
	}
	slices.SortFunc(results, func(a, b TestResult) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Name, b.Name))
	})
	report(w, results)
	return results, nil
}

func report(w io.Writer, results []TestResult) {
	failed := 0
	for _, r := range results {
		verdict := "PASS"
		if r.Pass && r.Message == "skipped" {
			verdict = "SKIP"
		}
		if !r.Pass {
			verdict = "FAIL"
			failed++
		}
		fmt.Fprintf(w, "%s %s (%s)\n", verdict, r.Name, r.File)
		if !r.Pass && r.Message != "" {
			for line := range strings.SplitSeq(r.Message, "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	switch {
	case len(results) == 0:
		fmt.Fprintln(w, "no tests")
	case failed == 0:
		fmt.Fprintf(w, "PASS: %d/%d\n", len(results), len(results))
	default:
		fmt.Fprintf(w, "FAIL: %d/%d failed\n", failed, len(results))
	}
}
