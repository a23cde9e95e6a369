package freshness

import (
	"fmt"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/spec"
)

// SLA is the freshness service level of one table.
type SLA struct {
	Frequency time.Duration `json:"-"`    // 0: none declared
	Latency   time.Duration `json:"-"`    // 0: none declared
	Text      string        `json:"text"` // as declared, e.g. "frequency 1 day, latency 4 hours"
	// ThresholdSeconds is how old the last publish may be and the table
	// still be fresh; GraceSeconds how much longer it is late, not stale.
	ThresholdSeconds float64 `json:"thresholdSeconds"`
	GraceSeconds     float64 `json:"graceSeconds"`
}

// Threshold is the frequency, or the latency when no frequency is declared.
func (s SLA) Threshold() time.Duration {
	if s.Frequency > 0 {
		return s.Frequency
	}
	return s.Latency
}

// Grace is how long after the threshold a table is late before it is
// stale: the latency when both are declared, else the threshold again.
func (s SLA) Grace() time.Duration {
	if s.Frequency > 0 && s.Latency > 0 {
		return s.Latency
	}
	return s.Threshold()
}

// contractSLA is what a contract version says about freshness, per table.
type contractSLA struct {
	tables   map[string]*SLA // by table name; nil value: no freshness SLA
	problems []string        // properties that could not be read
}

// slaDoc is the part of an ODCS document freshness reads.
type slaDoc struct {
	Schema []struct {
		Name string `json:"name"`
	} `json:"schema"`
	SLA []spec.SLAProperty `json:"slaProperties"`
}

// readSLA resolves the freshness SLA of each table of a contract. An
// entry's element scopes it to tables (`table`, `table.column`, or the
// mesh name `domain.product.table[.column]`); an entry without element
// covers every table. For each table and property, an entry that names the
// table wins over a contract-wide one; among several, the strictest (the
// shortest) applies. Entries that cannot be read are reported as problems
// and ignored.
func readSLA(doc *slaDoc, domain, product string) *contractSLA {
	c := &contractSLA{tables: map[string]*SLA{}}
	names := map[string]bool{}
	for _, o := range doc.Schema {
		names[o.Name] = true
	}
	type pick struct {
		d        time.Duration
		text     string
		specific bool
	}
	picks := map[string]map[string]pick{} // table -> property -> pick
	for i, sp := range doc.SLA {
		var prop string
		switch {
		case sp.IsProperty("frequency"):
			prop = "frequency"
		case sp.IsProperty("latency"):
			prop = "latency"
		default:
			continue
		}
		p, err := sp.Period()
		if err != nil {
			c.problems = append(c.problems, fmt.Sprintf("slaProperties[%d] (%s): %v", i, prop, err))
			continue
		}
		var tables []string
		specific := len(sp.Elements()) > 0
		if specific {
			for _, el := range sp.Elements() {
				t := elementTable(el, names, domain, product)
				if t == "" {
					c.problems = append(c.problems, fmt.Sprintf("slaProperties[%d] (%s): element %q names no table of the contract", i, prop, el))
					continue
				}
				tables = append(tables, t)
			}
		} else {
			for n := range names {
				tables = append(tables, n)
			}
		}
		for _, t := range tables {
			if picks[t] == nil {
				picks[t] = map[string]pick{}
			}
			old, ok := picks[t][prop]
			np := pick{p.Duration(), prop + " " + p.String(), specific}
			if !ok || (specific && !old.specific) || (specific == old.specific && np.d < old.d) {
				picks[t][prop] = np
			}
		}
	}
	for n := range names {
		ps := picks[n]
		if len(ps) == 0 {
			c.tables[n] = nil
			continue
		}
		s := &SLA{}
		var texts []string
		if f, ok := ps["frequency"]; ok {
			s.Frequency = f.d
			texts = append(texts, f.text)
		}
		if l, ok := ps["latency"]; ok {
			s.Latency = l.d
			texts = append(texts, l.text)
		}
		s.Text = strings.Join(texts, ", ")
		s.ThresholdSeconds, s.GraceSeconds = s.Threshold().Seconds(), s.Grace().Seconds()
		c.tables[n] = s
	}
	return c
}

// elementTable is the table an SLA element names, or "".
func elementTable(el string, names map[string]bool, domain, product string) string {
	if prefix := domain + "." + product + "."; strings.HasPrefix(el, prefix) {
		el = strings.TrimPrefix(el, prefix)
	}
	t, _, _ := strings.Cut(el, ".")
	if names[t] {
		return t
	}
	if !strings.Contains(el, ".") && len(names) == 1 {
		// A bare column of the contract's only table.
		for n := range names {
			return n
		}
	}
	return ""
}
