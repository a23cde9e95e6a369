package lake

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/errs"
)

// ErrRequirement marks a commit refused because one of its requirements
// does not hold on the table's current metadata: nothing was committed.
var ErrRequirement = errors.New("requirement failed")

// ErrUpdate marks a commit refused because an update cannot be applied to
// the table's current metadata: nothing was committed.
var ErrUpdate = errors.New("update cannot be applied")

// ErrUnknownOutcome marks a commit whose outcome is unknown: the catalog
// may or may not have swapped the metadata. Nothing it references may be
// deleted.
var ErrUnknownOutcome = errors.New("commit outcome unknown")

// casAttempts bounds how often a commit is re-validated and re-applied on
// fresh metadata when another writer swapped the metadata in between.
const casAttempts = 5

// checked reports a failed requirement as ErrRequirement, so that a
// requirement failing inside the catalog's commit is told apart from the
// catalog's own failures.
type checked struct{ table.Requirement }

func (c checked) Validate(m table.Metadata) error {
	if err := c.Requirement.Validate(m); err != nil {
		return fmt.Errorf("%w: %w", ErrRequirement, err)
	}
	return nil
}

// checkedUpdate reports an update that cannot be applied as ErrUpdate.
type checkedUpdate struct{ table.Update }

func (c checkedUpdate) Apply(b *table.MetadataBuilder) error {
	if err := c.Update.Apply(b); err != nil {
		return fmt.Errorf("%w: %w", ErrUpdate, err)
	}
	return nil
}

// CommitTable commits updates to the table's metadata if every requirement
// holds, atomically: the catalog validates the requirements against the
// metadata it loads and swaps the metadata location only if it is still the
// one it loaded (compare-and-swap), so concurrent commits never lose an
// update. If another writer won the swap, the commit is validated and
// applied again on the fresh metadata, as an Iceberg REST catalog does.
//
// A failed requirement is a Conflict wrapping ErrRequirement; an update
// that cannot be applied is Invalid (or a Conflict when only a refresh can
// fix it, such as a stale sequence number). Any other failure is Internal
// and wraps ErrUnknownOutcome: the swap may have happened.
// committed, if not nil, tells from fresh metadata whether the commit
// landed after all (a snapshot id the commit adds, say).
func (l *Lake) CommitTable(ctx context.Context, id Ident, reqs []table.Requirement, updates []table.Update, committed func(table.Metadata) bool) (*table.Table, error) {
	const op = "lake.CommitTable"
	wrapped := make([]table.Requirement, len(reqs))
	for i, r := range reqs {
		wrapped[i] = checked{r}
	}
	ups := make([]table.Update, len(updates))
	for i, u := range updates {
		ups[i] = checkedUpdate{u}
	}
	var err error
	var meta table.Metadata
	var loc string
	for range casAttempts {
		meta, loc, err = l.cat.CommitTable(ctx, id.iceberg(), wrapped, ups)
		if err == nil || !errors.Is(err, table.ErrCommitFailed) || errors.Is(err, ErrRequirement) || errors.Is(err, ErrUpdate) {
			break
		}
	}
	switch {
	case err == nil:
		return l.refresh(ctx, id, meta, loc), nil
	case errors.Is(err, ErrRequirement):
		return nil, errs.Wrap(errs.Conflict, op, err, "%s: %v", id, unwrapRequirement(err))
	case errors.Is(err, table.ErrCommitFailed):
		return nil, errs.Wrap(errs.Conflict, op, err, "%s changed concurrently too often; the table is unchanged, try again", id)
	case errors.Is(err, ErrUpdate) && isStale(err):
		return nil, errs.Wrap(errs.Conflict, op, err, "%s: the commit does not apply to the current metadata (%v); reload the table and try again", id, err)
	case errors.Is(err, ErrUpdate):
		return nil, errs.Wrap(errs.Invalid, op, err, "%s: %v", id, err)
	}
	// The swap may have happened: look.
	bg := context.WithoutCancel(ctx)
	if committed != nil {
		if tbl, lerr := l.Load(bg, id); lerr == nil && committed(tbl.Metadata()) {
			return tbl, nil
		}
	}
	l.forget(id)
	return nil, errs.Wrap(errs.Internal, op, fmt.Errorf("%w: %w", ErrUnknownOutcome, err), "commit to %s", id)
}

// FastForward moves main to snapshot, which must descend from main's head,
// if main still points at from (nil: main has no snapshot). If main moved,
// the error is a Conflict wrapping ErrRequirement and main is unchanged.
func (l *Lake) FastForward(ctx context.Context, id Ident, snapshot int64, from *int64) (*table.Table, error) {
	reqs := []table.Requirement{table.AssertRefSnapshotID(table.MainBranch, from)}
	ups := []table.Update{table.NewSetSnapshotRefUpdate(table.MainBranch, snapshot, table.BranchRef, 0, 0, 0)}
	return l.CommitTable(ctx, id, reqs, ups, func(m table.Metadata) bool {
		s := m.CurrentSnapshot()
		return s != nil && s.SnapshotID == snapshot
	})
}

// Stage applies updates to tbl's metadata without committing anything: the
// table as the commit would leave it, to inspect before committing.
func (l *Lake) Stage(tbl *table.Table, updates []table.Update) (*table.Table, error) {
	const op = "lake.Stage"
	b, err := table.MetadataBuilderFromBase(tbl.Metadata(), tbl.MetadataLocation())
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "stage metadata")
	}
	for _, u := range updates {
		if err := u.Apply(b); err != nil {
			if isStale(err) {
				return nil, errs.Wrap(errs.Conflict, op, err, "the commit does not apply to the current metadata (%v); reload the table and try again", err)
			}
			return nil, errs.Wrap(errs.Invalid, op, err, "update %s cannot be applied: %v", u.Action(), err)
		}
	}
	meta, err := b.Build()
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, err, "the updates make invalid metadata: %v", err)
	}
	return table.New(tbl.Identifier(), meta, tbl.MetadataLocation(), tbl.FS, nil), nil
}

// InTable reports whether uri names a file under the table's own location:
// a commit may only reference files of its table (never another table's,
// which its committer might not be allowed to read).
//
// Both the URI as written (how Meshwork's reads name the file) and its
// percent-decoded path (how iceberg-go and other engines open it) must be
// under the location: "%2e%2e" is ".." to a reader.
func (l *Lake) InTable(id Ident, uri string) bool {
	p, ok := strings.CutPrefix(uri, "file://")
	if !ok {
		return false
	}
	u, err := url.Parse(uri)
	if err != nil || u.Host != "" || u.Opaque != "" {
		return false
	}
	under := func(p string) bool {
		return strings.HasPrefix(filepath.Clean(p), l.Location(id)+string(filepath.Separator))
	}
	return under(p) && under(u.Path)
}

// refresh reloads the table after a commit of this process. If that fails
// the commit still stands: the cached metadata is forgotten (readers load it
// themselves) and the table is made from the committed metadata.
func (l *Lake) refresh(ctx context.Context, id Ident, meta table.Metadata, loc string) *table.Table {
	tbl, err := l.Load(context.WithoutCancel(ctx), id)
	if err != nil {
		l.forget(id)
		return table.New(id.iceberg(), meta, loc, iceio.LoadFSFunc(meta.Properties(), loc), l.cat)
	}
	return tbl
}

func (l *Lake) forget(id Ident) {
	l.mu.Lock()
	delete(l.tables, id)
	l.mu.Unlock()
}

// unwrapRequirement is the requirement's own message.
func unwrapRequirement(err error) string {
	s := err.Error()
	if i := strings.Index(s, ErrRequirement.Error()+": "); i >= 0 {
		return s[i+len(ErrRequirement.Error())+2:]
	}
	return s
}

// isStale reports a metadata builder error that a client fixes by reloading
// the table and writing its snapshot again.
func isStale(err error) bool {
	s := err.Error()
	return strings.Contains(s, "sequence number") || strings.Contains(s, "before last") || strings.Contains(s, "already exists")
}
