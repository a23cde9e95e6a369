package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/usage"
)

// ProductSummary is one entry of the product listing.
type ProductSummary struct {
	Domain      string    `json:"domain"`
	Name        string    `json:"name"`
	ID          string    `json:"id"`
	Status      string    `json:"status"`
	Description string    `json:"description,omitempty"`
	Team        string    `json:"team,omitempty"`
	Tables      []string  `json:"tables"`
	UpdatedAt   time.Time `json:"updatedAt"`
	// Readable says whether the caller may read the product's data; a
	// product it may only discover is listed with false, so that a client
	// can offer to request access.
	Readable bool `json:"readable"`
	// Usage is the product's successful queries (and their distinct
	// principals) over the last 30 days; absent when no usage is kept.
	Usage *usage.Use `json:"usage,omitempty"`
}

func (s *Server) handleProducts(w http.ResponseWriter, r *http.Request) {
	ps, err := s.reg.Products(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ts, err := s.reg.Tables(r.Context(), "", "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	byProduct := map[string][]string{}
	for _, t := range ts {
		k := t.Domain + "." + t.Product
		byProduct[k] = append(byProduct[k], k+"."+t.Name)
	}
	var used map[string]usage.Use
	if u := s.page.Usage; u != nil {
		if used, err = u.Totals(r.Context(), pageDays, time.Now()); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	who, _ := access.FromContext(r.Context())
	out := make([]ProductSummary, 0, len(ps))
	for _, p := range ps {
		// What the caller may not discover is not listed: not even its name.
		res := access.Resource{Domain: p.Domain, Product: p.Name}
		if !s.access.Can(r.Context(), who, access.ActionDiscover, res) {
			continue
		}
		tables := byProduct[p.Domain+"."+p.Name]
		if tables == nil {
			tables = []string{}
		}
		sum := ProductSummary{Domain: p.Domain, Name: p.Name, ID: p.SpecID, Status: p.Status,
			Description: p.Description, Team: p.Team, Tables: tables, UpdatedAt: p.UpdatedAt,
			Readable: s.access.Can(r.Context(), who, access.ActionRead, res)}
		if used != nil {
			u := used[p.Domain+"."+p.Name]
			sum.Usage = &u
		}
		out = append(out, sum)
	}
	writeJSON(w, http.StatusOK, map[string]any{"products": out})
}

// ProductDetail is everything the catalog shows of one product. Whoever may
// discover the product sees it; only those who may read it see the last
// publish reports, whose checks and problems may quote the data.
type ProductDetail struct {
	registry.Product
	Contracts []registry.Contract `json:"contracts"`
	Tables    []TableDetail       `json:"tables"`
	Readable  bool                `json:"readable"` // the caller may read the product's data
}

// TableDetail describes one table of a product.
type TableDetail struct {
	Name              string                  `json:"name"`
	Major             int                     `json:"major"`
	Status            string                  `json:"status"`
	Sunset            *time.Time              `json:"sunset,omitempty"`
	Default           bool                    `json:"default"`    // the major an unpinned name reads
	SQLName           string                  `json:"sqlName"`    // the unpinned name when Default, else the pinned one
	PinnedName        string                  `json:"pinnedName"` // domain.product@vN.table
	Description       string                  `json:"description,omitempty"`
	BusinessName      string                  `json:"businessName,omitempty"`
	ContractID        string                  `json:"contractId"`
	ContractVersion   string                  `json:"contractVersion"`
	Columns           []schema.Column         `json:"columns"`
	PrimaryKey        []string                `json:"primaryKey,omitempty"`
	Partition         []schema.PartitionField `json:"partition,omitempty"`
	CurrentSnapshotID *int64                  `json:"currentSnapshotId,omitempty"`
	Snapshots         []lake.SnapshotInfo     `json:"snapshots"`
	LastPublish       json.RawMessage         `json:"lastPublish,omitempty"`
}

func (s *Server) handleProduct(w http.ResponseWriter, r *http.Request) {
	id, major, err := ident(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if major != nil {
		s.fail(w, r, errs.E(errs.Invalid, "http.product", "a product has every major version: ask for /products/%s/%s", id.Domain, id.Product))
		return
	}
	ctx := r.Context()
	if err := s.authorize(r, access.ActionDiscover, id.Domain, id.Product); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.reg.Product(ctx, id.Domain, id.Product)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cs, err := s.reg.ContractsOf(ctx, id.Domain, id.Product)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ts, err := s.reg.Tables(ctx, id.Domain, id.Product)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	who, _ := access.FromContext(ctx)
	res := access.Resource{Domain: id.Domain, Product: id.Product}
	mayPublish := s.access.Can(ctx, who, access.ActionPublish, res)
	d := ProductDetail{Product: *p, Contracts: cs, Tables: []TableDetail{}, Readable: s.access.Can(ctx, who, access.ActionRead, res)}
	if d.Contracts == nil {
		d.Contracts = []registry.Contract{}
	}
	for _, t := range ts {
		def, err := s.reg.Table(ctx, t.Domain, t.Product, t.Name)
		if err != nil && !errs.Is(err, errs.NotFound) {
			s.fail(w, r, err)
			return
		}
		td := TableDetail{Name: t.Name, Major: t.Major, Status: t.Status, Sunset: t.Sunset, PinnedName: t.Address(), SQLName: t.Address(),
			Description: t.Def.Object.Description, BusinessName: t.Def.Object.BusinessName,
			ContractID: t.ContractID, ContractVersion: t.ContractVersion,
			Columns: t.Def.Schema.Columns, PrimaryKey: t.Def.Schema.PrimaryKey, Partition: t.Def.Schema.Partition,
			Snapshots: []lake.SnapshotInfo{}}
		if def != nil && def.Major == t.Major {
			td.Default, td.SQLName = true, t.Domain+"."+t.Product+"."+t.Name
		}
		tbl, err := s.lake.Cached(ctx, lake.Ident{Domain: t.Domain, Product: t.Namespace, Table: t.Name})
		if err != nil && !errs.Is(err, errs.NotFound) {
			s.fail(w, r, err)
			return
		}
		if tbl != nil {
			if snaps := lake.Snapshots(tbl); snaps != nil {
				td.Snapshots = snaps
			}
			if cur := tbl.CurrentSnapshot(); cur != nil {
				id := cur.SnapshotID
				td.CurrentSnapshotID = &id
			}
		}
		if !d.Readable {
			d.Tables = append(d.Tables, td)
			continue
		}
		last, err := s.reg.LastPublish(ctx, t.Domain, t.Namespace, t.Name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if last != nil {
			td.LastPublish = last.Report
			if !mayPublish {
				// Rejected rows are quoted from the upload, unmasked and
				// unfiltered: only those who may publish see them.
				td.LastPublish = withoutRejectedRows(last.Report)
			}
		}
		d.Tables = append(d.Tables, td)
	}
	writeJSON(w, http.StatusOK, d)
}

// withoutRejectedRows drops the rejected-row examples of a stored publish
// report, which quote the upload as it was sent.
func withoutRejectedRows(report json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(report, &m); err != nil {
		return nil
	}
	delete(m, "rejectedExamples")
	b, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return b
}
