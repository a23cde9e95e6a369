package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/meshwork/meshwork/internal/spec"
)

// The output formats of mesh lint: text, JSON and GitHub annotations.

// writeFindings prints the findings in a format.
func writeFindings(w io.Writer, format string, fds []finding) error {
	errors, warnings := 0, 0
	for _, f := range fds {
		if f.Severity == spec.SeverityError {
			errors++
		} else {
			warnings++
		}
	}
	if format == "json" {
		return printJSON(w, struct {
			OK       bool      `json:"ok"`
			Errors   int       `json:"errors"`
			Warnings int       `json:"warnings"`
			Findings []finding `json:"findings"`
		}{errors == 0, errors, warnings, fds})
	}
	var b strings.Builder
	for _, f := range fds {
		if format == "github" {
			b.WriteString(annotation(f) + "\n")
			continue
		}
		if f.File != "" {
			fmt.Fprintf(&b, "%s:%d:%d: ", f.File, f.Line, f.Column)
		}
		fmt.Fprintf(&b, "%s: %s [%s]\n", f.Severity, oneLineText(f.Message), f.Rule)
	}
	fmt.Fprintf(&b, "%d error(s), %d warning(s)\n", errors, warnings)
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLineText keeps a finding on its line in the text format.
func oneLineText(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// annotation is a finding as a GitHub Actions workflow command, e.g.
// ::error file=specs/shop.yaml,line=3,col=1,title=version::contract "x": ...
func annotation(f finding) string {
	level := "error"
	if f.Severity != spec.SeverityError {
		level = "warning"
	}
	var props []string
	if f.File != "" {
		props = append(props, "file="+escapeProperty(f.File), fmt.Sprintf("line=%d", f.Line), fmt.Sprintf("col=%d", f.Column))
	}
	props = append(props, "title="+escapeProperty(f.Rule))
	return "::" + level + " " + strings.Join(props, ",") + "::" + escapeData(f.Message)
}

// escapeData escapes a workflow command's message as GitHub's toolkit does.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value: also : and ,.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
