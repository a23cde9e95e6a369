package restcatalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/access"
	"github.com/meshwork/meshwork/internal/audit"
	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/publish"
	"github.com/meshwork/meshwork/internal/registry"
)

// Writes through the catalog are write-audit-publish: a publisher commits
// onto a branch of a table (never main); Meshwork then runs the contract
// conformance, the quality rules and the publish policies over the
// branch's new snapshot and fast-forwards main to it only if everything
// passes. The branch commit stands whatever the gates say: its files are
// referenced by a committed snapshot and are never deleted here.

// Publisher publishes a snapshot committed onto a branch.
type Publisher interface {
	PublishBranch(ctx context.Context, req publish.BranchRequest) (*publish.Report, error)
}

// maxCommitBody bounds a commit's body: a snapshot is small (its manifests
// are files), but a transaction may carry many updates.
const maxCommitBody = 8 << 20

// auditTimeout bounds the audit after a branch commit. It runs even if the
// client goes away, so that the outcome is decided and recorded.
const auditTimeout = 15 * time.Minute

// PublishHeader tells the outcome of the gates of a commit:
// "published; run=<id>; snapshot=<id>", "rejected; run=<id>",
// "stale; run=<id>" (main moved: commit again on a branch of main's head),
// "failed; run=<id>" (the audit could not run; main is unchanged),
// "unknown; run=<id>" (the gates passed, but whether main was moved is
// unknown: reload the table) or "none" (the commit added no snapshot).
const PublishHeader = "Meshwork-Publish"

// The Iceberg error types of commits.
const (
	commitFailed  = "CommitFailedException"
	commitUnknown = "CommitStateUnknownException"
)

// committer serializes the commits of one table within this process, so
// that requirements are validated against fresh metadata one commit at a
// time; between processes the catalog's compare-and-swap decides.
type committer struct {
	pub   Publisher
	mu    sync.Mutex
	locks map[lake.Ident]*sync.Mutex
}

func (c *committer) lock(id lake.Ident) func() {
	c.mu.Lock()
	m := c.locks[id]
	if m == nil {
		m = &sync.Mutex{}
		c.locks[id] = m
	}
	c.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// commitBodyLimit is the body limit of r: larger for the commit routes.
func commitBodyLimit(r *http.Request) int64 {
	if r.Method != http.MethodPost {
		return maxBody
	}
	p := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.URL.Path == "/v1/transactions/commit" || (len(p) == 5 && p[0] == "v1" && p[1] == "namespaces" && p[3] == "tables") {
		return maxCommitBody
	}
	return maxBody
}

// commitRequest is the spec's CommitTableRequest, its requirements and
// updates kept raw until their types are checked.
type commitRequest struct {
	Identifier   *tableIdent     `json:"identifier"`
	Requirements json.RawMessage `json:"requirements"`
	Updates      json.RawMessage `json:"updates"`
}

// requirementTypes are the spec's TableRequirement types.
var requirementTypes = map[string]bool{
	"assert-create": true, "assert-table-uuid": true, "assert-ref-snapshot-id": true, "assert-default-spec-id": true,
	"assert-current-schema-id": true, "assert-default-sort-order-id": true, "assert-last-assigned-field-id": true,
	"assert-last-assigned-partition-id": true,
}

// list decodes a JSON array (null: empty) of a commit request.
func list(raw json.RawMessage, what, name string) ([]json.RawMessage, error) {
	if len(raw) == 0 {
		return nil, errs.E(errs.Invalid, "iceberg.commit", "a commit of %s needs requirements and updates (both arrays); %s are missing", name, what)
	}
	var out []json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, errs.Wrap(errs.Invalid, "iceberg.commit", err, "the %s of a commit of %s are not a JSON array", what, name)
	}
	return out, nil
}

// commitPlan is a checked commit of one table.
type commitPlan struct {
	reqs    []table.Requirement
	updates []table.Update
	added   *int64 // the snapshot the commit adds
	schema  *int   // its schema id
	branch  string // the branch the commit sets ("" for none)
	head    int64  // the snapshot it sets the branch to
}

// managed are the updates Meshwork keeps for itself, with the reason.
var managed = map[string]string{
	table.UpdateAddSchema:                 "the table's schema is its contract's: evolve it with `mesh apply` (a new contract version)",
	table.UpdateSetCurrentSchema:          "the table's schema is its contract's: evolve it with `mesh apply` (a new contract version)",
	table.UpdateRemoveSchemas:             "the table's schemas are its contract's: they change with `mesh apply`",
	table.UpdateAddSpec:                   "the table's partitioning is its contract's: change it with `mesh apply`",
	table.UpdateSetDefaultSpec:            "the table's partitioning is its contract's: change it with `mesh apply`",
	table.UpdateRemoveSpec:                "the table's partitioning is its contract's: change it with `mesh apply`",
	table.UpdateAddSortOrder:              "sort orders are managed by Meshwork",
	table.UpdateSetDefaultSortOrder:       "sort orders are managed by Meshwork",
	table.UpdateSetLocation:               "the table's location is managed by Meshwork",
	table.UpdateUpgradeFormatVersion:      "the table's format version is managed by Meshwork",
	table.UpdateAssignUUID:                "the table's identity is managed by Meshwork",
	table.UpdateSetProperties:             "table properties are managed by Meshwork (`mesh apply`)",
	table.UpdateRemoveProperties:          "table properties are managed by Meshwork (`mesh apply`)",
	table.UpdateRemoveSnapshots:           "snapshots expire through Meshwork's retention (the contract's retention SLA)",
	table.UpdateSetStatistics:             "statistics files are managed by Meshwork",
	table.UpdateRemoveStatistics:          "statistics files are managed by Meshwork",
	table.UpdateSetPartitionStatistics:    "statistics files are managed by Meshwork",
	table.UpdateRemovePartitionStatistics: "statistics files are managed by Meshwork",
	table.UpdateAddEncryptionKey:          "encryption keys are managed by Meshwork",
	table.UpdateRemoveEncryptionKey:       "encryption keys are managed by Meshwork",
}

// meshworkSummary prefixes the snapshot summary properties Meshwork's
// publishes write.
const meshworkSummary = "meshwork."

const toBranch = "write to a branch (iceberg-go: Table.NewTransactionOnBranch; Spark: the branch_<name> table or spark.wap.branch); Meshwork publishes main after the gates pass"

// parseCommit checks a commit's requirements and updates: unknown types
// are Invalid, updates Meshwork manages are Invalid with the reason, and
// any change to main is Forbidden.
func parseCommit(c commitRequest, name string) (*commitPlan, error) {
	const op = "iceberg.commit"
	reqs, err := list(c.Requirements, "requirements", name)
	if err != nil {
		return nil, err
	}
	updates, err := list(c.Updates, "updates", name)
	if err != nil {
		return nil, err
	}
	plan := &commitPlan{}
	for i, raw := range reqs {
		var w struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, errs.Wrap(errs.Invalid, op, err, "requirement %d of %s is not a JSON object with a type", i, name)
		}
		if !requirementTypes[w.Type] {
			return nil, errs.E(errs.Invalid, op, "unknown requirement type %q (requirement %d of %s)", printable(w.Type), i, name)
		}
		req, err := table.ParseRequirementBytes(raw)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, op, err, "requirement %d of %s (%s) is not valid: %v", i, name, w.Type, err)
		}
		plan.reqs = append(plan.reqs, req)
	}
	for i, raw := range updates {
		var w struct {
			Action     string `json:"action"`
			RefName    string `json:"ref-name"`
			Type       string `json:"type"`
			SnapshotID *int64 `json:"snapshot-id"`
			Snapshot   *struct {
				SnapshotID *int64            `json:"snapshot-id"`
				SchemaID   *int              `json:"schema-id"`
				Summary    map[string]string `json:"summary"`
			} `json:"snapshot"`
		}
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, errs.Wrap(errs.Invalid, op, err, "update %d of %s is not a valid update object: %v", i, name, err)
		}
		switch w.Action {
		case table.UpdateAddSnapshot:
			if w.Snapshot == nil || w.Snapshot.SnapshotID == nil {
				return nil, errs.E(errs.Invalid, op, "update %d of %s (add-snapshot) has no snapshot with a snapshot-id", i, name)
			}
			if plan.added != nil {
				return nil, errs.E(errs.Invalid, op, "a commit of %s may add one snapshot, onto one branch", name)
			}
			for k := range w.Snapshot.Summary {
				// Meshwork reads its own properties back (a publish's
				// idempotency key and run id): a writer may not forge them.
				if strings.HasPrefix(strings.ToLower(k), meshworkSummary) {
					return nil, errs.E(errs.Invalid, op, "update %d of %s: the snapshot's summary property %q is reserved for Meshwork's own publishes (%s*)", i, name, printable(k), meshworkSummary)
				}
			}
			plan.added, plan.schema = w.Snapshot.SnapshotID, w.Snapshot.SchemaID
		case table.UpdateSetSnapshotRef:
			switch {
			case w.RefName == table.MainBranch:
				return nil, errs.E(errs.Forbidden, op, "a commit may not set main of %s: %s", name, toBranch)
			case w.Type != string(table.BranchRef):
				return nil, errs.E(errs.Invalid, op, "update %d of %s sets a %q ref: only branches are written through Meshwork's catalog", i, name, printable(w.Type))
			case w.RefName == "" || w.SnapshotID == nil:
				return nil, errs.E(errs.Invalid, op, "update %d of %s (set-snapshot-ref) needs a ref-name and a snapshot-id", i, name)
			case plan.branch != "":
				return nil, errs.E(errs.Invalid, op, "a commit of %s may set one branch", name)
			}
			plan.branch, plan.head = w.RefName, *w.SnapshotID
		case table.UpdateRemoveSnapshotRef:
			if w.RefName == table.MainBranch {
				return nil, errs.E(errs.Forbidden, op, "a commit may not remove main of %s", name)
			}
		case "":
			return nil, errs.E(errs.Invalid, op, "update %d of %s has no action", i, name)
		default:
			if why, ok := managed[w.Action]; ok {
				return nil, errs.E(errs.Invalid, op, "update %s of %s is refused: %s; a commit may only add a snapshot onto a branch (add-snapshot, set-snapshot-ref) or remove a branch", w.Action, name, why)
			}
			return nil, errs.E(errs.Invalid, op, "unknown update type %q (update %d of %s)", printable(w.Action), i, name)
		}
		var ups table.Updates
		if err := json.Unmarshal(append(append([]byte{'['}, raw...), ']'), &ups); err != nil {
			return nil, errs.Wrap(errs.Invalid, op, err, "update %d of %s (%s) is not valid: %v", i, name, w.Action, err)
		}
		plan.updates = append(plan.updates, ups...)
	}
	if plan.added != nil && (plan.branch == "" || plan.head != *plan.added) {
		return nil, errs.E(errs.Invalid, op, "the snapshot a commit of %s adds must become the head of a branch: set a branch ref to it in the same commit", name)
	}
	return plan, nil
}

// decodeCommit reads a commit body into v.
func decodeCommit(r *http.Request, op string, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return bodyError(op, err, "the body is not a JSON commit request")
	}
	if dec.More() {
		return errs.E(errs.Invalid, op, "the body holds more than one JSON value")
	}
	return nil
}

// writable authorizes the caller to publish into the table: 403 for a
// principal who may read it but not publish.
func (s *server) writable(ctx context.Context, t *registry.Table) error {
	p, _ := access.FromContext(ctx)
	return s.acc.Authorize(ctx, p, access.ActionPublish, access.Resource{Domain: t.Domain, Product: t.Product})
}

// POST /v1/namespaces/{namespace}/tables/{table}
func (s *server) updateTable(w http.ResponseWriter, r *http.Request) {
	const op = "iceberg.updateTable"
	ctx := r.Context()
	t, err := s.table(r)
	if err == nil {
		err = s.writable(ctx, t)
	}
	id := lake.Ident{}
	if t != nil {
		id = lake.Ident{Domain: t.Domain, Product: t.Namespace, Table: t.Name}
	}
	var c commitRequest
	if err == nil {
		err = decodeCommit(r, op, &c)
	}
	if err == nil && c.Identifier != nil {
		if ns, nerr := parseNamespace(strings.Join(c.Identifier.Namespace, unitSeparator)); nerr != nil || ns.Domain != t.Domain || ns.Level != t.Namespace || c.Identifier.Name != t.Name {
			err = errs.E(errs.Invalid, op, "the body's identifier does not name the table of the path, %s", id)
		}
	}
	var plan *commitPlan
	if err == nil {
		plan, err = parseCommit(c, id.String())
	}
	var res *commitResult
	if err == nil {
		res, err = s.commit(ctx, t, plan)
	}
	if err != nil {
		s.record(r, "iceberg.commit", r.URL.Path, err)
		s.fail(w, r, err)
		return
	}
	s.answer(w, r, t, id, res, true)
}

// POST /v1/transactions/commit: one table per transaction. Several tables
// cannot be committed atomically by the catalog, and each table's branch
// goes through its own gates, so a multi-table transaction is refused
// before anything is committed.
func (s *server) commitTransaction(w http.ResponseWriter, r *http.Request) {
	const op = "iceberg.commitTransaction"
	ctx := r.Context()
	var body struct {
		Changes []commitRequest `json:"table-changes"`
	}
	err := decodeCommit(r, op, &body)
	switch {
	case err != nil:
	case body.Changes == nil:
		err = errs.E(errs.Invalid, op, "a transaction needs table-changes")
	case len(body.Changes) != 1:
		err = errs.E(errs.Invalid, op, "a transaction of Meshwork commits exactly one table (this one has %d): each table's branch goes through its own gates, so commit the tables one by one", len(body.Changes))
	case body.Changes[0].Identifier == nil:
		err = errs.E(errs.Invalid, op, "a table change of a transaction needs an identifier")
	}
	var t *registry.Table
	if err == nil {
		t, err = s.tableOf(r, *body.Changes[0].Identifier)
	}
	if err == nil {
		err = s.writable(ctx, t)
	}
	var plan *commitPlan
	var id lake.Ident
	if err == nil {
		id = lake.Ident{Domain: t.Domain, Product: t.Namespace, Table: t.Name}
		plan, err = parseCommit(body.Changes[0], id.String())
	}
	var res *commitResult
	if err == nil {
		res, err = s.commit(ctx, t, plan)
	}
	if err != nil {
		s.record(r, "iceberg.commit", r.URL.Path, err)
		s.fail(w, r, err)
		return
	}
	s.answer(w, r, t, id, res, false)
}

// tableOf resolves a table identifier of a request body as the path's
// {namespace} and {table} would be.
func (s *server) tableOf(r *http.Request, ti tableIdent) (*registry.Table, error) {
	r2 := r.Clone(r.Context())
	r2.SetPathValue("namespace", strings.Join(ti.Namespace, unitSeparator))
	r2.SetPathValue("table", ti.Name)
	return s.table(r2)
}

// commitResult is what a commit did.
type commitResult struct {
	report *publish.Report // nil: nothing was audited
	pubErr error           // the audit's failure, if it failed
}

// commit applies a checked commit onto the table's branch and, when it
// added a snapshot, publishes it through the gates.
func (s *server) commit(ctx context.Context, t *registry.Table, plan *commitPlan) (*commitResult, error) {
	const op = "iceberg.commit"
	id := lake.Ident{Domain: t.Domain, Product: t.Namespace, Table: t.Name}
	unlock := s.commits.lock(id)
	cur, err := s.lake.Load(ctx, id)
	if err != nil {
		unlock()
		if errs.Is(err, errs.NotFound) {
			err = notFound(noSuchTable, op, "table %s does not exist in the lake", id)
		}
		return nil, err
	}
	if err := s.check(ctx, id, cur, plan); err != nil {
		unlock()
		return nil, err
	}
	var landed func(table.Metadata) bool
	if plan.added != nil {
		snap := *plan.added
		landed = func(m table.Metadata) bool { return m.SnapshotByID(snap) != nil }
	}
	_, err = s.lake.CommitTable(ctx, id, plan.reqs, plan.updates, landed)
	unlock()
	if err != nil {
		return nil, commitError(op, id, err)
	}
	res := &commitResult{}
	if plan.added == nil {
		return res, nil
	}
	// The branch commit stands from here on: whatever happens, answer 200.
	// It is audited now, its publish's outcome once the gates are done
	// (see answer): they may take minutes, or the server may stop meanwhile.
	p, _ := access.FromContext(ctx)
	s.audit.Append(audit.Event{Principal: p.Name, Action: "iceberg.commit", Resource: id.String(), Outcome: audit.OK},
		map[string]any{"branch": plan.branch, "snapshot": *plan.added, "publish": "pending"})
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	res.report, res.pubErr = s.commits.pub.PublishBranch(actx, publish.BranchRequest{Domain: t.Domain, Product: t.Product, Table: t.Name,
		Major: t.Major, Branch: plan.branch, Snapshot: *plan.added})
	return res, nil
}

// check validates a commit against the table's current metadata before
// anything is written: requirements, the snapshot's schema, and that every
// file the snapshot references is the table's own.
func (s *server) check(ctx context.Context, id lake.Ident, cur *table.Table, plan *commitPlan) error {
	const op = "iceberg.commit"
	for _, req := range plan.reqs {
		if err := req.Validate(cur.Metadata()); err != nil {
			return &typedError{typ: commitFailed, err: errs.E(errs.Conflict, op, "%s: %v; nothing was committed", id, err)}
		}
	}
	if plan.added == nil {
		return nil
	}
	if plan.schema != nil && *plan.schema != cur.Schema().ID {
		return &typedError{typ: commitFailed, err: errs.E(errs.Conflict, op,
			"the snapshot of %s was written with schema %d, but the table's current schema, its contract's, is %d: reload the table and write again (schema changes go through `mesh apply`)",
			id, *plan.schema, cur.Schema().ID)}
	}
	staged, err := s.lake.Stage(cur, plan.updates)
	if err != nil {
		if errs.Is(err, errs.Conflict) {
			_, msg, _ := errs.Public(err)
			return &typedError{typ: commitFailed, err: errs.E(errs.Conflict, op, "%s: %s", id, msg)}
		}
		return err
	}
	return s.checkFiles(ctx, id, staged, *plan.added)
}

// checkFiles refuses a snapshot that references files outside the table's
// location, or delete files (Meshwork reads data files only).
func (s *server) checkFiles(ctx context.Context, id lake.Ident, staged *table.Table, snapID int64) error {
	const op = "iceberg.commit"
	snap := staged.SnapshotByID(snapID)
	if snap == nil {
		return errs.E(errs.Invalid, op, "the commit of %s does not add snapshot %d", id, snapID)
	}
	outside := func(what, uri string) error {
		return errs.E(errs.Invalid, op, "the snapshot references %s %q outside the table's location: write every file of %s under its location", what, printable(uri), id)
	}
	if !s.lake.InTable(id, snap.ManifestList) {
		return outside("manifest list", snap.ManifestList)
	}
	fs, err := staged.FS(ctx)
	if err != nil {
		return errs.Wrap(errs.Internal, op, err, "open the file system of %s", id)
	}
	mans, err := snap.Manifests(fs)
	if err != nil {
		return errs.Wrap(errs.Invalid, op, err, "the snapshot's manifest list cannot be read: %v", err)
	}
	// Each data file once: an engine reads a file listed twice twice, while
	// Meshwork (and so its gates) reads it once.
	listed := map[string]bool{}
	for _, m := range mans {
		if !s.lake.InTable(id, m.FilePath()) {
			return outside("manifest", m.FilePath())
		}
		if m.ManifestContent() != iceberg.ManifestContentData {
			return errs.E(errs.Invalid, op, "the snapshot of %s has delete manifests, which Meshwork cannot audit or read: rewrite the data files instead (copy-on-write)", id)
		}
		for e, err := range m.Entries(fs, true) {
			if err != nil {
				return errs.Wrap(errs.Invalid, op, err, "the snapshot's manifest %q cannot be read: %v", printable(m.FilePath()), err)
			}
			p := e.DataFile().FilePath()
			if listed[p] {
				return errs.E(errs.Invalid, op, "the snapshot of %s lists data file %q more than once: engines would read its rows twice", id, printable(p))
			}
			listed[p] = true
		}
	}
	tasks, err := staged.Scan(table.WithSnapshotID(snapID)).PlanFiles(ctx)
	if err != nil {
		return errs.Wrap(errs.Invalid, op, err, "the snapshot's manifests cannot be read: %v", err)
	}
	for _, task := range tasks {
		if len(task.DeleteFiles)+len(task.EqualityDeleteFiles)+len(task.DeletionVectorFiles) > 0 {
			return errs.E(errs.Invalid, op, "the snapshot of %s has row-level deletes, which Meshwork cannot audit or read: rewrite the data files instead (copy-on-write)", id)
		}
		if !s.lake.InTable(id, task.File.FilePath()) {
			return outside("data file", task.File.FilePath())
		}
	}
	return nil
}

// commitError maps a failed commit to the spec's answers: a conflict is a
// 409 CommitFailedException (nothing was committed, the client may retry),
// a bad update a 400, and anything else a 500 CommitStateUnknownException,
// never a 4xx: the commit may have landed, so its files must stay.
func commitError(op string, id lake.Ident, err error) error {
	switch {
	case errors.Is(err, lake.ErrUnknownOutcome):
		return &typedError{typ: commitUnknown, err: errs.E(errs.Internal, op, "the commit to %s may or may not have been applied: %v", id, err)}
	case errs.Is(err, errs.Conflict):
		_, msg, _ := errs.Public(err)
		return &typedError{typ: commitFailed, err: errs.E(errs.Conflict, op, "%s; nothing was committed", msg)}
	case errs.Is(err, errs.Invalid):
		return err
	}
	return &typedError{typ: commitUnknown, err: errs.E(errs.Internal, op, "the commit to %s may or may not have been applied: %v", id, err)}
}

// answer writes the response of a commit (the table's metadata after the
// commit and the gates, for updateTable; 204 for a transaction) with the
// gates' outcome in the Meshwork-Publish header, and audits it.
func (s *server) answer(w http.ResponseWriter, r *http.Request, t *registry.Table, id lake.Ident, res *commitResult, withMetadata bool) {
	const op = "iceberg.commit"
	outcome := "none"
	details := map[string]any{}
	if rep := res.report; rep != nil {
		status := map[string]string{publish.StatusCommitted: "published", publish.StatusGateFailed: "rejected",
			publish.StatusStale: "stale", publish.StatusFailed: "failed", publish.StatusUnknown: "unknown"}[rep.Status]
		outcome = fmt.Sprintf("%s; run=%s", status, rep.RunID)
		if rep.Status == publish.StatusCommitted {
			outcome += fmt.Sprintf("; snapshot=%d", rep.SnapshotID)
		}
		details["branch"], details["snapshot"], details["run"], details["publish"] = rep.Branch, rep.BranchSnapshotID, rep.RunID, status
		if len(rep.Problems) > 0 {
			details["problems"] = rep.Problems
		}
	} else if res.pubErr != nil {
		outcome = "failed"
	}
	if res.pubErr != nil {
		s.log.ErrorContext(r.Context(), "branch publish failed", "table", id.String(), "err", res.pubErr)
	}
	p, _ := access.FromContext(r.Context())
	s.audit.Append(audit.Event{Principal: p.Name, Action: "iceberg.commit", Resource: id.String(), Outcome: audit.OK}, details)
	w.Header().Set(PublishHeader, outcome)
	if !withMetadata {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	tbl, err := s.lake.Cached(r.Context(), id)
	var meta []byte
	if err == nil {
		meta, err = json.Marshal(tbl.Metadata())
	}
	if err != nil {
		// Committed, but the answer cannot be made: the state is unknown to the client.
		s.fail(w, r, &typedError{typ: commitUnknown, err: errs.E(errs.Internal, op, "read metadata of %s after the commit: %v", id, err)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"metadata-location": tbl.MetadataLocation(), "metadata": json.RawMessage(meta)})
}
