package lake

import (
	"context"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/schema"
)

// Evolve changes the table's schema and partitioning in one commit, as ev
// says, towards want (the table the contract now declares). New columns get
// new field ids, dropped ones stay in the data files but leave the schema,
// promoted ones widen along Iceberg's rules; existing ids never change, so
// every earlier snapshot stays readable by time travel. A new partitioning
// applies to data written from now on.
func (l *Lake) Evolve(ctx context.Context, id Ident, ev schema.Evolution, want *schema.Table) (*table.Table, error) {
	const op = "lake.Evolve"
	tbl, err := l.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	tx := tbl.NewTransaction()
	if len(ev.Added)+len(ev.Dropped)+len(ev.Promoted) > 0 {
		up := tx.UpdateSchema(true, false)
		for _, c := range ev.Dropped {
			up = up.DeleteColumn([]string{c.Name})
		}
		for _, c := range ev.Promoted {
			up = up.UpdateColumn([]string{c.Name}, table.ColumnUpdate{FieldType: iceberg.Optional[iceberg.Type]{Val: c.Type.Iceberg(), Valid: true}})
		}
		for _, c := range ev.Added {
			up = up.AddColumn([]string{c.Name}, c.Type.Iceberg(), c.Description, false, nil)
		}
		if err := up.Commit(); err != nil {
			return nil, errs.Wrap(errs.Invalid, op, err, "cannot evolve %s: %v", id, err)
		}
	}
	if ev.Partition {
		us := tx.UpdateSpec(true)
		spec := tbl.Spec()
		for _, f := range spec.Fields() {
			us = us.RemoveField(f.Name)
		}
		for _, p := range want.Partition {
			tr, err := iceberg.ParseTransform(p.Transform)
			if err != nil {
				return nil, errs.Wrap(errs.Invalid, op, err, "table %s: partition column %q: %v", id, p.Column, err)
			}
			us = us.AddField(p.Column, tr, schema.PartitionFieldName(p))
		}
		if err := us.Commit(); err != nil {
			return nil, errs.Wrap(errs.Invalid, op, err, "cannot change the partitioning of %s: %v", id, err)
		}
	}
	tbl, err = tx.Commit(ctx)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, op, err, "commit schema of %s", id)
	}
	l.remember(id, tbl)
	return tbl, nil
}
