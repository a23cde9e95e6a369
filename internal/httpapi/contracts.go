package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/spec"
)

// The contract registry API: versions, diffs, checks before an apply, and
// the major versions of a product with who still reads each.
func (s *Server) contractRoutes() {
	s.mux.HandleFunc("POST /api/v1/contracts:check", s.handleContractsCheck)
	s.mux.HandleFunc("GET /api/v1/contracts/{id}/versions", s.handleContractVersions)
	s.mux.HandleFunc("GET /api/v1/contracts/{id}/versions/{version}", s.handleContractVersion)
	s.mux.HandleFunc("GET /api/v1/contracts/{id}/diff", s.handleContractDiff)
	s.mux.HandleFunc("GET /api/v1/products/{domain}/{product}/majors", s.handleMajors)
}

// handleContractsCheck checks spec files as an apply would, changing
// nothing. It answers 200 with the report whatever it finds: the report's
// ok says whether an apply would succeed.
func (s *Server) handleContractsCheck(w http.ResponseWriter, r *http.Request) {
	const op = "http.contractsCheck"
	srcs, err := s.sources(w, r, op)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep, err := s.apply.Check(r.Context(), srcs)
	names := make([]string, len(srcs))
	for i, src := range srcs {
		names[i] = src.Name
	}
	var details any
	if rep != nil {
		details = map[string]any{"ok": rep.OK, "violations": len(rep.Violations()), "refusals": len(rep.Refusals)}
	}
	s.record(r, "contract.check", strings.Join(names, ","), err, details)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// contractOf returns the versions of a contract after checking that the
// caller may discover its product: a contract is metadata, what a consumer
// reads before asking for access. An unknown id and a product the caller
// may not discover are both NotFound, so ids do not leak.
func (s *Server) contractOf(r *http.Request) ([]registry.Contract, error) {
	const op = "http.contract"
	id := r.PathValue("id")
	if id == "" || len(id) > 200 || strings.ContainsAny(id, "\x00\r\n") {
		return nil, errs.E(errs.Invalid, op, "a contract id is one line of at most 200 characters")
	}
	vs, err := s.reg.Versions(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, errs.E(errs.NotFound, op, "contract %q does not exist", id)
	}
	p, _ := access.FromContext(r.Context())
	if !s.access.Can(r.Context(), p, access.ActionDiscover, access.Resource{Domain: vs[0].Domain, Product: vs[0].Product}) {
		s.record(r, "authorize.discover", vs[0].Domain+"."+vs[0].Product, errs.E(errs.Forbidden, op, "may not discover"), nil)
		return nil, errs.E(errs.NotFound, op, "contract %q does not exist", id)
	}
	return vs, nil
}

func (s *Server) handleContractVersions(w http.ResponseWriter, r *http.Request) {
	vs, err := s.contractOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i := range vs {
		vs[i].Doc = nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": vs[0].ID, "domain": vs[0].Domain, "product": vs[0].Product, "versions": vs})
}

// version finds one version of vs.
func version(vs []registry.Contract, v string) (*registry.Contract, error) {
	for i := range vs {
		if vs[i].Version == v {
			return &vs[i], nil
		}
	}
	return nil, errs.E(errs.NotFound, "http.version", "contract %q has no version %q", vs[0].ID, v)
}

func (s *Server) handleContractVersion(w http.ResponseWriter, r *http.Request) {
	vs, err := s.contractOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := version(vs, r.PathValue("version"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// handleContractDiff compares two applied versions (from, to; to defaults to
// the latest version).
func (s *Server) handleContractDiff(w http.ResponseWriter, r *http.Request) {
	const op = "http.contractDiff"
	vs, err := s.contractOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	if to == "" {
		to = vs[len(vs)-1].Version
	}
	if from == "" {
		s.fail(w, r, errs.E(errs.Invalid, op, "say which version to compare with: ?from=VERSION (and ?to=VERSION, the latest by default)"))
		return
	}
	var docs [2]*spec.Contract
	for i, v := range []string{from, to} {
		c, err := version(vs, v)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if docs[i], err = spec.ParseContract(c.ID+" "+c.Version, c.Doc); err != nil {
			s.fail(w, r, errs.Wrap(errs.Internal, op, err, "read contract %s %s", c.ID, c.Version))
			return
		}
	}
	writeJSON(w, http.StatusOK, spec.Diff(docs[0], docs[1]))
}

// Major is one major version of a product, as its owners see it.
type Major struct {
	Major     int        `json:"major"`
	Status    string     `json:"status"`
	Sunset    *time.Time `json:"sunset,omitempty"`
	Default   bool       `json:"default"` // what unpinned names read
	Contracts []string   `json:"contracts"`
	Tables    []string   `json:"tables"` // pinned names
	Consumers []Consumer `json:"consumers"`
}

// Consumer is a principal who read a major recently.
type Consumer struct {
	Principal string    `json:"principal"`
	Queries   int       `json:"queries"`
	LastRead  time.Time `json:"lastRead"`
}

// handleMajors lists a product's major versions and, from the audit log, who
// read each in the last ?days (30 by default): the people to tell before a
// major's sunset. Only those who may change the product see it.
func (s *Server) handleMajors(w http.ResponseWriter, r *http.Request) {
	const op = "http.majors"
	id, major, err := ident(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if major != nil {
		s.fail(w, r, errs.E(errs.Invalid, op, "ask for /products/%s/%s/majors: it lists every major", id.Domain, id.Product))
		return
	}
	days := 30
	if v := r.URL.Query().Get("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 1 || days > 3660 {
			s.fail(w, r, errs.E(errs.Invalid, op, "days must be a whole number from 1 to 3660, not %q", v))
			return
		}
	}
	if err := s.authorize(r, access.ActionApply, id.Domain, id.Product); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	ts, err := s.reg.Tables(ctx, id.Domain, id.Product)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(ts) == 0 {
		s.fail(w, r, errs.E(errs.NotFound, op, "product %s.%s has no tables", id.Domain, id.Product))
		return
	}
	byMajor := map[int]*Major{}
	for _, t := range ts {
		m := byMajor[t.Major]
		if m == nil {
			m = &Major{Major: t.Major, Status: t.Status, Sunset: t.Sunset, Contracts: []string{}, Tables: []string{}, Consumers: []Consumer{}}
			byMajor[t.Major] = m
		}
		if !slices.Contains(m.Contracts, t.ContractID) {
			m.Contracts = append(m.Contracts, t.ContractID)
		}
		m.Tables = append(m.Tables, t.Address())
		if def, err := s.reg.Table(ctx, t.Domain, t.Product, t.Name); err == nil && def.Major == t.Major {
			m.Default = true
		}
	}
	truncated, err := s.consumers(r, id.Domain+"."+id.Product, time.Now().AddDate(0, 0, -days), byMajor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]*Major, 0, len(byMajor))
	for _, m := range byMajor {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Major > out[j].Major })
	// truncated: the window held more reads than one answer counts; the
	// counts are of the newest ones.
	writeJSON(w, http.StatusOK, map[string]any{"domain": id.Domain, "product": id.Product, "days": days, "majors": out, "truncated": truncated})
}

// consumers fills each major's consumers from the query records since a
// time: a query record names every table it read with the major it resolved to.
func (s *Server) consumers(r *http.Request, product string, since time.Time, majors map[int]*Major) (truncated bool, err error) {
	if s.audit == nil {
		return false, nil
	}
	if err := s.audit.Flush(r.Context()); err != nil {
		return false, err
	}
	evs, err := s.audit.Reads(r.Context(), product, since)
	if err != nil {
		return false, err
	}
	type key struct {
		major     int
		principal string
	}
	seen := map[key]*Consumer{}
	prefix := product + "@v"
	for _, ev := range evs {
		var d struct {
			Tables []string `json:"tables"`
		}
		if json.Unmarshal(ev.Details, &d) != nil {
			continue
		}
		read := map[int]bool{}
		for _, t := range d.Tables {
			rest, ok := strings.CutPrefix(t, prefix)
			if !ok {
				continue
			}
			v, _, _ := strings.Cut(rest, ".")
			if n, err := strconv.Atoi(v); err == nil {
				read[n] = true
			}
		}
		for n := range read {
			m := majors[n]
			if m == nil {
				continue
			}
			k := key{n, ev.Principal}
			c := seen[k]
			if c == nil {
				c = &Consumer{Principal: ev.Principal}
				seen[k] = c
			}
			c.Queries++
			if ev.Time.After(c.LastRead) {
				c.LastRead = ev.Time
			}
		}
	}
	for k, c := range seen {
		majors[k.major].Consumers = append(majors[k.major].Consumers, *c)
	}
	for _, m := range majors {
		sort.Slice(m.Consumers, func(i, j int) bool { return m.Consumers[i].Principal < m.Consumers[j].Principal })
	}
	return len(evs) >= audit.MaxSince, nil
}
