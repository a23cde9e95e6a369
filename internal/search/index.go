package search

import (
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/registry"
)

//go:embed schema.sql
var schemaSQL string

// The kinds of document.
const (
	KindProduct = "product"
	KindTable   = "table"
	KindColumn  = "column"
)

var kindRank = map[string]int{KindProduct: 0, KindTable: 1, KindColumn: 2}

// Document is one searchable object: a product, a table or a column. Its
// name and path come from Domain, Product, Table and Column.
type Document struct {
	Kind         string `json:"kind"`
	Domain       string `json:"domain"`
	Product      string `json:"product"`
	Table        string `json:"table,omitempty"`
	Column       string `json:"column,omitempty"`
	BusinessName string `json:"businessName,omitempty"`
	Description  string `json:"description,omitempty"`
	Status       string `json:"status,omitempty"`
	// Meta is searchable text: tags, classification, owners.
	Meta string `json:"meta,omitempty"`
	// Tags and Classifications are what the tag and classification
	// filters match, exactly (lower case); they include what a document
	// inherits from the product or table above it.
	Tags            []string `json:"tags,omitempty"`
	Classifications []string `json:"classifications,omitempty"`
}

// name is the document's own name.
func (d *Document) name() string {
	switch d.Kind {
	case KindColumn:
		return d.Column
	case KindTable:
		return d.Table
	}
	return d.Product
}

// path is the names above the document.
func (d *Document) path() string {
	switch d.Kind {
	case KindColumn:
		return d.Domain + " " + d.Product + " " + d.Table
	case KindTable:
		return d.Domain + " " + d.Product
	}
	return d.Domain
}

// ProductDocs is every document of one product. Source fingerprints the
// registry rows they were built from, so that Sync can skip building the
// documents of a product whose rows have not changed.
type ProductDocs struct {
	Domain  string
	Product string
	Source  string
	Docs    []Document
}

// Key names a product.
type Key struct{ Domain, Product string }

func (k Key) String() string { return k.Domain + "." + k.Product }

// Catalog is what the index reads from the registry.
type Catalog interface {
	Products(ctx context.Context) ([]registry.Product, error)
	Product(ctx context.Context, domain, name string) (*registry.Product, error)
	TableSet(ctx context.Context) (*registry.TableSet, error)
	Tables(ctx context.Context, domain, product string) ([]registry.Table, error)
	Contract(ctx context.Context, id, version string) (*registry.Contract, error)
}

// Visibility tells where a principal may discover and read (access.Store.Scopes).
type Visibility interface {
	Scopes(ctx context.Context, p access.Principal, a access.Action) (all bool, scopes []access.Resource, err error)
}

// Config configures an Index.
type Config struct {
	DB *sql.DB // mesh.db: the index is written through it
	// Path is mesh.db's file. When set, searches read through a pool of
	// their own on it, with a larger page cache and the file memory-mapped:
	// a search looks up every hit's row, and with the default 2 MB cache
	// each lookup is a read(2). "": searches read through DB.
	Path    string
	Catalog Catalog // nil: the index is written only through Write
	Access  Visibility
	Logger  *slog.Logger
}

// Index is the search index. Safe for concurrent use.
type Index struct {
	db     *sql.DB // writes
	rdb    *sql.DB // searches: db, or a pool of its own (Config.Path)
	cat    Catalog
	access Visibility
	log    *slog.Logger
	syncMu sync.Mutex // one Sync at a time: each reads what the last wrote
}

// Open creates the index tables in c.DB if needed. It does not sync.
func Open(ctx context.Context, c Config) (*Index, error) {
	const op = "search.Open"
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Access == nil {
		return nil, errs.E(errs.Internal, op, "no access store")
	}
	if _, err := c.DB.ExecContext(ctx, schemaSQL); err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "create search tables")
	}
	x := &Index{db: c.DB, rdb: c.DB, cat: c.Catalog, access: c.Access, log: c.Logger.With("component", "search")}
	if c.Path != "" {
		abs, err := filepath.Abs(c.Path)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "bad database path")
		}
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "query_only(1)")
		q.Add("_pragma", "cache_size(-32768)")    // 32 MB per connection
		q.Add("_pragma", "mmap_size(4294967296)") // address space, not memory
		rdb, err := sql.Open("sqlite", "file:"+abs+"?"+q.Encode())
		if err != nil {
			return nil, errs.Wrap(errs.Internal, op, err, "open %s", c.Path)
		}
		rdb.SetMaxOpenConns(4)
		rdb.SetMaxIdleConns(4)
		x.rdb = rdb
	}
	return x, nil
}

// Close closes the index's own search pool, if it has one.
func (x *Index) Close() error {
	if x.rdb != x.db {
		return x.rdb.Close()
	}
	return nil
}

// Stats counts what a Write did.
type Stats struct {
	Indexed   int `json:"indexed"`   // products whose documents were replaced
	Unchanged int `json:"unchanged"` // products whose documents were already as given
	Deleted   int `json:"deleted"`   // products removed from the index
	Docs      int `json:"docs"`      // documents written
}

// hashDocs is the content hash of a product's documents.
func hashDocs(docs []Document) string {
	b, _ := json.Marshal(docs) // plain strings and slices: cannot fail
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// Write replaces the documents of each product of put (unless they are
// already the same, by content hash) and removes the products of del, in
// one transaction. It is the index's only write path.
func (x *Index) Write(ctx context.Context, put []ProductDocs, del []Key) (Stats, error) {
	const op = "search.Write"
	var st Stats
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return st, errs.Wrap(errs.Internal, op, err, "begin")
	}
	defer tx.Rollback()
	w, err := newWriter(ctx, tx)
	if err != nil {
		return st, errs.Wrap(errs.Internal, op, err, "prepare")
	}
	defer w.close()
	for _, k := range del {
		found, err := w.remove(ctx, k)
		if err != nil {
			return st, errs.Wrap(errs.Internal, op, err, "remove %s", k)
		}
		if found {
			st.Deleted++
		}
	}
	for i := range put {
		p := &put[i]
		h := hashDocs(p.Docs)
		var old string
		err := w.hash.QueryRowContext(ctx, p.Domain, p.Product).Scan(&old)
		if err != nil && err != sql.ErrNoRows {
			return st, errs.Wrap(errs.Internal, op, err, "read hash of %s.%s", p.Domain, p.Product)
		}
		if err == nil && old == h {
			st.Unchanged++
		} else {
			if _, err := w.remove(ctx, Key{p.Domain, p.Product}); err != nil {
				return st, errs.Wrap(errs.Internal, op, err, "remove %s.%s", p.Domain, p.Product)
			}
			for j := range p.Docs {
				if err := w.insert(ctx, &p.Docs[j]); err != nil {
					return st, errs.Wrap(errs.Internal, op, err, "index %s.%s", p.Domain, p.Product)
				}
			}
			st.Indexed++
			st.Docs += len(p.Docs)
		}
		if _, err := w.upsert.ExecContext(ctx, p.Domain, p.Product, p.Source, h); err != nil {
			return st, errs.Wrap(errs.Internal, op, err, "record %s.%s", p.Domain, p.Product)
		}
	}
	if err := tx.Commit(); err != nil {
		return Stats{}, errs.Wrap(errs.Internal, op, err, "commit")
	}
	return st, nil
}

// writer holds the statements of one Write.
type writer struct {
	hash, upsert, doc, fts, attr     *sql.Stmt
	delFTS, delAttrs, delDocs, delPr *sql.Stmt
}

func newWriter(ctx context.Context, tx *sql.Tx) (*writer, error) {
	w := &writer{}
	for _, s := range []struct {
		st *(*sql.Stmt)
		q  string
	}{
		{&w.hash, `SELECT hash FROM mesh_search_products WHERE domain = ? AND product = ?`},
		{&w.upsert, `INSERT INTO mesh_search_products (domain, product, source, hash) VALUES (?, ?, ?, ?)
			ON CONFLICT (domain, product) DO UPDATE SET source = excluded.source, hash = excluded.hash`},
		{&w.doc, `INSERT INTO mesh_search_docs (kind, kind_rank, domain, product, tbl, col, pkey, name, status, tags, classes)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&w.fts, `INSERT INTO mesh_search_fts (rowid, name, path, business, meta, description) VALUES (?, ?, ?, ?, ?, ?)`},
		{&w.attr, `INSERT OR IGNORE INTO mesh_search_attrs (attr, value, doc) VALUES (?, ?, ?)`},
		{&w.delFTS, `DELETE FROM mesh_search_fts WHERE rowid IN (SELECT id FROM mesh_search_docs WHERE domain = ? AND product = ?)`},
		{&w.delAttrs, `DELETE FROM mesh_search_attrs WHERE doc IN (SELECT id FROM mesh_search_docs WHERE domain = ? AND product = ?)`},
		{&w.delDocs, `DELETE FROM mesh_search_docs WHERE domain = ? AND product = ?`},
		{&w.delPr, `DELETE FROM mesh_search_products WHERE domain = ? AND product = ?`},
	} {
		st, err := tx.PrepareContext(ctx, s.q)
		if err != nil {
			w.close()
			return nil, err
		}
		*s.st = st
	}
	return w, nil
}

func (w *writer) close() {
	for _, st := range []*sql.Stmt{w.hash, w.upsert, w.doc, w.fts, w.attr, w.delFTS, w.delAttrs, w.delDocs, w.delPr} {
		if st != nil {
			st.Close()
		}
	}
}

// remove deletes a product's documents (FTS rows first: they are found
// through the docs rows); found reports whether the product was indexed.
func (w *writer) remove(ctx context.Context, k Key) (found bool, err error) {
	for _, st := range []*sql.Stmt{w.delFTS, w.delAttrs, w.delDocs, w.delPr} {
		res, err := st.ExecContext(ctx, k.Domain, k.Product)
		if err != nil {
			return false, err
		}
		if st == w.delPr {
			n, _ := res.RowsAffected()
			found = n > 0
		}
	}
	return found, nil
}

func (w *writer) insert(ctx context.Context, d *Document) error {
	rank, ok := kindRank[d.Kind]
	if !ok {
		return fmt.Errorf("document of unknown kind %q", d.Kind)
	}
	name := d.name()
	res, err := w.doc.ExecContext(ctx, d.Kind, rank, d.Domain, d.Product, d.Table, d.Column, d.Domain+"."+d.Product,
		strings.ToLower(name), strings.ToLower(d.Status), bars(d.Tags), bars(d.Classifications))
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	if _, err := w.fts.ExecContext(ctx, id, name, d.path(), d.BusinessName, d.Meta, d.Description); err != nil {
		return err
	}
	for _, a := range []struct {
		attr   string
		values []string
	}{{"tag", d.Tags}, {"class", d.Classifications}} {
		for _, v := range a.values {
			if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
				if _, err := w.attr.ExecContext(ctx, a.attr, v, id); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// bars encodes a set of values as '|a|b|' (lower case), so that instr(col,
// '|a|') tests membership exactly. A value with '|' in it is left out here
// (it still filters through mesh_search_attrs when browsing).
func bars(xs []string) string {
	var b strings.Builder
	for _, x := range uniqueSorted(xs) {
		if strings.Contains(x, "|") {
			continue
		}
		if b.Len() == 0 {
			b.WriteByte('|')
		}
		b.WriteString(x)
		b.WriteByte('|')
	}
	return b.String()
}

// sources returns the stored source fingerprint of every indexed product.
func (x *Index) sources(ctx context.Context) (map[Key]string, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT domain, product, source FROM mesh_search_products`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[Key]string{}
	for rows.Next() {
		var k Key
		var s string
		if err := rows.Scan(&k.Domain, &k.Product, &s); err != nil {
			return nil, err
		}
		out[k] = s
	}
	return out, rows.Err()
}

// uniqueSorted returns xs lower-cased, without blanks and duplicates, sorted.
func uniqueSorted(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x = strings.ToLower(strings.TrimSpace(x)); x != "" {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
