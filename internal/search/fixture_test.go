package search_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
	"github.com/meshwork/meshwork/internal/search"
	"github.com/meshwork/meshwork/internal/spec"
)

// fixture is a real registry, access store and search index on one
// SQLite database, as the platform wires them.
type fixture struct {
	db  *sql.DB
	reg *registry.Registry
	acc *access.Store
	idx *search.Index
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	ctx := context.Background()
	db, err := registry.OpenSQLite(filepath.Join(tb.TempDir(), "mesh.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	reg, err := registry.Open(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	acc, err := access.Open(ctx, db, access.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	idx, err := search.Open(ctx, search.Config{DB: db, Catalog: reg, Access: acc})
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{db: db, reg: reg, acc: acc, idx: idx}
}

// grant gives subject role on domain[.product].
func (f *fixture) grant(tb testing.TB, subject string, role access.Role, domain, product string) {
	tb.Helper()
	if _, err := f.acc.AddGrant(context.Background(), "test", access.Grant{Role: role, Subject: subject, Domain: domain, Product: product}); err != nil {
		tb.Fatal(err)
	}
}

type tcol struct {
	name, business, desc, class string
	tags                        []string
}

type ttable struct {
	name, business, desc string
	tags                 []string
	cols                 []tcol
}

type tproduct struct {
	domain, name, status, purpose string
	tags                          []string
	team                          string
	members                       []string
	contractName                  string
	tables                        []ttable
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// put writes p into the registry as an apply would: product, one contract
// version 1.0.0 and its tables (major 1).
func (f *fixture) put(tb testing.TB, p tproduct) {
	tb.Helper()
	if p.status == "" {
		p.status = "active"
	}
	var members []map[string]string
	for _, m := range p.members {
		members = append(members, map[string]string{"username": m, "role": "owner"})
	}
	doc, _ := json.Marshal(map[string]any{"apiVersion": "v1.0.0", "kind": "DataProduct", "id": p.domain + "-" + p.name, "name": p.name,
		"status": p.status, "domain": p.domain, "description": map[string]string{"purpose": p.purpose}, "tags": p.tags,
		"team": map[string]any{"name": p.team, "members": members}})
	cid := p.domain + "-" + p.name + "-contract"
	var objs []spec.Object
	var tables []registry.Table
	for _, t := range p.tables {
		obj := spec.Object{Name: t.name, BusinessName: t.business, Description: t.desc, Tags: t.tags}
		var cols []schema.Column
		for _, c := range t.cols {
			obj.Properties = append(obj.Properties, spec.Property{Name: c.name, BusinessName: c.business, Description: c.desc,
				Classification: c.class, Tags: c.tags, LogicalType: "string"})
			cols = append(cols, schema.Column{Name: c.name, Type: schema.Type{Kind: schema.String}, Description: c.desc,
				BusinessName: c.business, Classification: c.class})
		}
		objs = append(objs, obj)
		tables = append(tables, registry.Table{Domain: p.domain, Product: p.name, Major: 1, Name: t.name, Namespace: p.name,
			ContractID: cid, ContractVersion: "1.0.0", Status: p.status,
			Def: registry.TableDef{Schema: schema.Table{Columns: cols}, Object: obj}})
	}
	cdoc, _ := json.Marshal(map[string]any{"apiVersion": "v3.1.0", "kind": "DataContract", "id": cid, "name": p.contractName,
		"version": "1.0.0", "status": p.status, "domain": p.domain, "dataProduct": p.name, "schema": objs})
	ch := registry.Change{
		Domains:   map[string]string{p.domain: p.team},
		Products:  []registry.Product{{Domain: p.domain, Name: p.name, SpecID: p.domain + "-" + p.name, Status: p.status, Description: p.purpose, Team: p.team, Doc: doc, Hash: hash(doc)}},
		Contracts: []registry.Contract{{ID: cid, Version: "1.0.0", Major: 1, Domain: p.domain, Product: p.name, Status: p.status, Doc: cdoc, Hash: hash(cdoc)}},
		Tables:    tables,
	}
	if err := f.reg.Apply(context.Background(), ch); err != nil {
		tb.Fatalf("registry.Apply(%s.%s): %v", p.domain, p.name, err)
	}
}

// The test catalog: three domains, each with a product.
var (
	salesOrders = tproduct{domain: "sales", name: "orders", purpose: "Orders placed by customers, with their lines.",
		tags: []string{"sales", "Finance"}, team: "Sales Data", members: []string{"ada@meshwork.example"}, contractName: "Order history",
		tables: []ttable{
			{name: "orders", business: "Order", desc: "One row per order.", cols: []tcol{
				{name: "o_orderkey", business: "Order number", desc: "Identifies the order."},
				{name: "order_date", business: "Order date", desc: "When the order was placed."},
				{name: "total_price", business: "Total price", desc: "Price of the order including tax.", class: "internal"},
			}},
			{name: "lineitem", business: "Order line", desc: "One row per line of an order.", cols: []tcol{
				{name: "l_quantity", business: "Quantity", desc: "How many units were ordered."},
				{name: "l_comment", business: "Comment", desc: "Free text written by the clerk."},
			}},
		}}
	customersCRM = tproduct{domain: "customers", name: "crm", purpose: "Customer accounts and the nations they live in.",
		tags: []string{"master-data", "pii"}, team: "Customer Data", members: []string{"grace@meshwork.example"}, contractName: "Customer Relationship Management",
		tables: []ttable{
			{name: "customer", business: "Customer", desc: "Customer accounts.", tags: []string{"gdpr"}, cols: []tcol{
				{name: "c_custkey", business: "Customer number", desc: "Identifies the customer account.", class: "internal"},
				{name: "c_name", business: "Customer name", desc: "Legal name.", class: "pii", tags: []string{"personal"}},
				{name: "c_phone", business: "Phone", desc: "Phone number.", class: "pii"},
			}},
			{name: "nation", business: "Nation", desc: "Countries.", cols: []tcol{
				{name: "n_name", business: "Nation name", desc: "Name of the country."},
			}},
		}}
	supplyParts = tproduct{domain: "supply", name: "parts", status: "draft", purpose: "Parts and their suppliers.",
		tags: []string{"supply"}, team: "Supply Chain", members: []string{"alan@meshwork.example"}, contractName: "Parts catalog",
		tables: []ttable{
			{name: "part", business: "Part", desc: "Every part sold.", cols: []tcol{
				{name: "p_name", business: "Part name", desc: "Name of the part."},
				{name: "p_retailprice", business: "Retail price", desc: "Price of the part charged to customers."},
			}},
		}}
)

// seeded returns a fixture with the test catalog indexed and principals:
// root (admin), sally (consumer of sales), carl (consumer of customers.crm
// only), pat (publisher of supply through a group), nobody (no grants).
func seeded(tb testing.TB) *fixture {
	tb.Helper()
	f := newFixture(tb)
	for _, p := range []tproduct{salesOrders, customersCRM, supplyParts} {
		f.put(tb, p)
	}
	if _, err := f.idx.Sync(context.Background()); err != nil {
		tb.Fatalf("Sync: %v", err)
	}
	f.grant(tb, "root", access.RoleAdmin, "", "")
	f.grant(tb, "sally", access.RoleConsumer, "sales", "")
	f.grant(tb, "carl", access.RoleConsumer, "customers", "crm")
	f.grant(tb, "group:suppliers", access.RolePublisher, "supply", "")
	return f
}

var (
	root   = access.Principal{Name: "root"}
	sally  = access.Principal{Name: "sally"}
	carl   = access.Principal{Name: "carl"}
	pat    = access.Principal{Name: "pat", Groups: []string{"suppliers"}}
	nobody = access.Principal{Name: "nobody"}
)

// search runs q as who and fails the test on an error.
func (f *fixture) search(tb testing.TB, who access.Principal, q search.Query) *search.Results {
	tb.Helper()
	res, err := f.idx.Search(context.Background(), who, q)
	if err != nil {
		tb.Fatalf("Search(%s, %+v): %v", who.Name, q, err)
	}
	return res
}

func addresses(res *search.Results) []string {
	out := []string{}
	for _, h := range res.Results {
		out = append(out, h.Address)
	}
	return out
}
