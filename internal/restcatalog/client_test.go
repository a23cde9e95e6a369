// These tests talk to the catalog with iceberg-go's own REST client, as an
// engine (PyIceberg, Spark, Trino) would.

package restcatalog_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/rest"
	"github.com/apache/iceberg-go/table"
	"github.com/google/go-cmp/cmp"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/demo"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/platform"
)

var demoTables = []string{
	"customers", "customers.crm", "customers.crm.customer", "customers.crm.nation", "customers.crm.region",
	"sales", "sales.orders", "sales.orders.lineitem", "sales.orders.orders",
	"supply", "supply.parts", "supply.parts.part", "supply.parts.partsupp", "supply.parts.supplier",
}

func TestCatalog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.catalog(t, rest.WithOAuthToken(e.p.AdminSecret))

	t.Run("config", func(t *testing.T) {
		r := e.do(t, e.p.AdminSecret, http.MethodGet, "/v1/config", nil)
		want := `{"defaults":{},"endpoints":["GET /v1/{prefix}/namespaces","GET /v1/{prefix}/namespaces/{namespace}","HEAD /v1/{prefix}/namespaces/{namespace}","GET /v1/{prefix}/namespaces/{namespace}/tables","GET /v1/{prefix}/namespaces/{namespace}/tables/{table}","HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}","POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics"],"overrides":{}}`
		if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != want {
			t.Errorf("GET /v1/config: %d %s\nwant %s", r.status, r.body, want)
		}
	})

	t.Run("list as admin", func(t *testing.T) {
		if diff := cmp.Diff(demoTables, listAll(t, admin)); diff != "" {
			t.Errorf("namespaces and tables (-want +got):\n%s", diff)
		}
	})

	t.Run("exists and properties", func(t *testing.T) {
		for _, c := range []struct {
			ns   table.Identifier
			want bool
		}{{table.Identifier{"sales"}, true}, {table.Identifier{"sales", "orders"}, true},
			{table.Identifier{"sales", "nope"}, false}, {table.Identifier{"nope"}, false}, {table.Identifier{"sales", "orders@v2"}, false}} {
			got, err := admin.CheckNamespaceExists(ctx, c.ns)
			if err != nil || got != c.want {
				t.Errorf("CheckNamespaceExists(%v) = %v, %v; want %v", c.ns, got, err, c.want)
			}
		}
		props, err := admin.LoadNamespaceProperties(ctx, table.Identifier{"customers", "crm"})
		if err != nil || len(props) != 0 {
			t.Errorf("LoadNamespaceProperties = %v, %v", props, err)
		}
		for _, c := range []struct {
			id   table.Identifier
			want bool
		}{{table.Identifier{"sales", "orders", "orders"}, true}, {table.Identifier{"sales", "orders", "nope"}, false},
			{table.Identifier{"sales", "nope", "orders"}, false}} {
			got, err := admin.CheckTableExists(ctx, c.id)
			if err != nil || got != c.want {
				t.Errorf("CheckTableExists(%v) = %v, %v; want %v", c.id, got, err, c.want)
			}
		}
	})

	t.Run("load and scan every table", func(t *testing.T) {
		for _, name := range demoTables {
			id := strings.Split(name, ".")
			if len(id) != 3 {
				continue
			}
			tbl, err := admin.LoadTable(ctx, id)
			if err != nil {
				t.Fatalf("LoadTable(%s): %v", name, err)
			}
			at, err := tbl.Scan().ToArrowTable(ctx)
			if err != nil {
				t.Fatalf("scan %s: %v", name, err)
			}
			got := at.NumRows()
			at.Release()
			_, rows, err := e.p.Engine.Exec(platform.AsAdmin(ctx), "SELECT count(*) FROM "+name)
			if err != nil {
				t.Fatalf("count %s through Meshwork SQL: %v", name, err)
			}
			if want := fmt.Sprint(rows[0][0]); fmt.Sprint(got) != want || got == 0 {
				t.Errorf("%s: the Iceberg scan read %d rows, Meshwork SQL counts %s", name, got, want)
			}
			local, err := e.p.Lake.Cached(ctx, lakeIdent(id))
			if err != nil {
				t.Fatal(err)
			}
			if tbl.MetadataLocation() != local.MetadataLocation() || tbl.Metadata().CurrentSnapshot().SnapshotID != local.Metadata().CurrentSnapshot().SnapshotID {
				t.Errorf("%s: served metadata %s differs from the lake's %s", name, tbl.MetadataLocation(), local.MetadataLocation())
			}
		}
	})

	t.Run("client credentials", func(t *testing.T) {
		secret := e.token(t, "sales-reader", nil, 0, access.Grant{Role: access.RoleConsumer, Domain: "sales"})
		cat := e.catalog(t, rest.WithCredential("sales-reader:"+secret))
		want := []string{"sales", "sales.orders", "sales.orders.lineitem", "sales.orders.orders"}
		if diff := cmp.Diff(want, listAll(t, cat)); diff != "" {
			t.Errorf("through an exchanged token (-want +got):\n%s", diff)
		}
		if _, err := cat.LoadTable(ctx, table.Identifier{"sales", "orders", "orders"}); err != nil {
			t.Errorf("LoadTable through an exchanged token: %v", err)
		}
		// The exchanged token is a Meshwork token of the same principal, which expires.
		toks, err := e.p.Access.Tokens(ctx, "sales-reader")
		if err != nil {
			t.Fatal(err)
		}
		var exchanged int
		for _, tk := range toks {
			if tk.ExpiresAt != nil {
				exchanged++
				if d := tk.ExpiresAt.Sub(tk.CreatedAt); d != 10*time.Minute {
					t.Errorf("exchanged token lives %v, want 10m", d)
				}
			}
		}
		// iceberg-go authenticates twice: for /v1/config, then for its session.
		if exchanged == 0 {
			t.Errorf("no exchanged token")
		}
	})
}

func lakeIdent(id table.Identifier) lake.Ident {
	return lake.Ident{Domain: id[0], Product: id[1], Table: id[2]}
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	demoToks, err := demo.Tokens(ctx, e.p.Access)
	if err != nil {
		t.Fatal(err)
	}
	secret := map[string]string{}
	for _, tk := range demoToks {
		secret[tk.Principal] = tk.Secret
	}

	t.Run("consumer sees its domain only", func(t *testing.T) {
		cat := e.catalog(t, rest.WithOAuthToken(secret["supply-consumer"]))
		want := []string{"supply", "supply.parts", "supply.parts.part", "supply.parts.partsupp", "supply.parts.supplier"}
		if diff := cmp.Diff(want, listAll(t, cat)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		_, err := cat.LoadTable(ctx, table.Identifier{"sales", "orders", "orders"})
		if !errors.Is(err, rest.ErrForbidden) {
			t.Errorf("loading another domain's table: %v, want forbidden", err)
		}
		_, err = cat.ListNamespaces(ctx, table.Identifier{"sales"})
		if !errors.Is(err, rest.ErrForbidden) {
			t.Errorf("listing another domain: %v, want forbidden", err)
		}
	})

	t.Run("masked table", func(t *testing.T) {
		cat := e.catalog(t, rest.WithOAuthToken(secret["analyst"]))
		if diff := cmp.Diff(demoTables, listAll(t, cat)); diff != "" {
			t.Errorf("analyst lists (-want +got):\n%s", diff)
		}
		_, err := cat.LoadTable(ctx, table.Identifier{"customers", "crm", "customer"})
		if !errors.Is(err, rest.ErrForbidden) || !strings.Contains(err.Error(), "Meshwork SQL") {
			t.Errorf("loading a masked table: %v, want forbidden, to query through Meshwork SQL", err)
		}
		if _, err := cat.LoadTable(ctx, table.Identifier{"customers", "crm", "nation"}); err != nil {
			t.Errorf("loading an unmasked table of the same product: %v", err)
		}
		owner := e.catalog(t, rest.WithOAuthToken(secret["customers-owner"]))
		if _, err := owner.LoadTable(ctx, table.Identifier{"customers", "crm", "customer"}); err != nil {
			t.Errorf("the owner (who may unmask) loads the table: %v", err)
		}
		europe := e.catalog(t, rest.WithOAuthToken(secret["analyst-europe"]))
		if _, err := europe.LoadTable(ctx, table.Identifier{"customers", "crm", "customer"}); !errors.Is(err, rest.ErrForbidden) {
			t.Errorf("loading a row-filtered table: %v, want forbidden", err)
		}
	})

	t.Run("no grants", func(t *testing.T) {
		cat := e.catalog(t, rest.WithOAuthToken(e.token(t, "nobody", nil, 0)))
		if got := listAll(t, cat); len(got) != 0 {
			t.Errorf("a principal without grants lists %v", got)
		}
		r := e.do(t, e.token(t, "nobody2", nil, 0), http.MethodGet, "/v1/namespaces", nil)
		if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != `{"namespaces":[]}` {
			t.Errorf("GET /v1/namespaces: %d %s", r.status, r.body)
		}
	})

	t.Run("wrong credential", func(t *testing.T) {
		_, err := rest.NewCatalog(ctx, "mesh", e.base, rest.WithCredential("analyst:"+secret["supply-consumer"]))
		if err == nil {
			t.Fatal("a token of another principal was exchanged")
		}
		_, err = rest.NewCatalog(ctx, "mesh", e.base, rest.WithOAuthToken("mesh_nope"))
		if !errors.Is(err, rest.ErrUnauthorized) {
			t.Errorf("unknown bearer: %v, want unauthorized", err)
		}
	})

	t.Run("not found", func(t *testing.T) {
		cat := e.catalog(t, rest.WithOAuthToken(e.p.AdminSecret))
		if _, err := cat.LoadTable(ctx, table.Identifier{"sales", "orders", "nope"}); !errors.Is(err, catalog.ErrNoSuchTable) {
			t.Errorf("unknown table: %v", err)
		}
		if _, err := cat.ListNamespaces(ctx, table.Identifier{"nope"}); !errors.Is(err, catalog.ErrNoSuchNamespace) {
			t.Errorf("unknown parent: %v", err)
		}
	})
}

// catalog opens the real iceberg-go REST client.
func (e *env) catalog(t *testing.T, opts ...rest.Option) *rest.Catalog {
	t.Helper()
	cat, err := rest.NewCatalog(context.Background(), "mesh", e.base, opts...)
	if err != nil {
		t.Fatalf("rest.NewCatalog: %v", err)
	}
	t.Cleanup(func() { _ = cat.Close() })
	return cat
}

// listAll lists every namespace and table the catalog shows cat, as dotted names.
func listAll(t *testing.T, cat *rest.Catalog) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	domains, err := cat.ListNamespaces(ctx, nil)
	if err != nil {
		t.Fatalf("ListNamespaces: %v", err)
	}
	for _, d := range domains {
		out = append(out, strings.Join(d, "."))
		prods, err := cat.ListNamespaces(ctx, d)
		if err != nil {
			t.Fatalf("ListNamespaces(%v): %v", d, err)
		}
		for _, p := range prods {
			out = append(out, strings.Join(p, "."))
			for id, err := range cat.ListTables(ctx, p) {
				if err != nil {
					t.Fatalf("ListTables(%v): %v", p, err)
				}
				out = append(out, strings.Join(id, "."))
			}
		}
	}
	return out
}
