package apply

import (
	"context"

	"github.com/meshwork/meshwork/internal/errs"
	"github.com/meshwork/meshwork/internal/lake"
	"github.com/meshwork/meshwork/internal/registry"
	"github.com/meshwork/meshwork/internal/schema"
)

// execute carries the plan out: the lake first (tables, columns, types,
// partitioning), then the registry in one transaction. If the registry
// write fails, the tables this apply created are dropped again; schema
// changes stay, and the next apply reconciles them with the contract.
func (a *Applier) execute(ctx context.Context, tables []*tablePlan, ch *registry.Change) error {
	var created []lake.Ident
	undo := func() {
		for _, id := range created {
			if err := a.lake.Drop(context.WithoutCancel(ctx), id); err != nil {
				a.log.Error("undo table create", "table", id.String(), "err", err)
			}
		}
	}
	for _, tp := range tables {
		id := lake.Ident{Domain: tp.domain, Product: tp.namespace, Table: tp.name}
		final := *tp.desired
		final.Columns = append([]schema.Column(nil), tp.desired.Columns...)
		if tp.existing == nil {
			if _, err := a.lake.Create(ctx, id, &final); err != nil {
				undo()
				return err
			}
			created = append(created, id)
		} else if err := a.evolve(ctx, id, tp, &final); err != nil {
			undo()
			return err
		}
		if tp.action == Unchanged {
			continue
		}
		ch.Tables = append(ch.Tables, registry.Table{Domain: tp.domain, Product: tp.product, Major: tp.major, Name: tp.name,
			Namespace: tp.namespace, ContractID: tp.contract.ID, ContractVersion: tp.contract.Version, Status: tp.status, Sunset: tp.sunset,
			Def: registry.TableDef{Schema: final, Object: tp.object}})
	}
	if err := a.reg.Apply(ctx, *ch); err != nil {
		undo()
		return err
	}
	return nil
}

// evolve brings an existing table of the lake to final and gives final's
// columns their field ids. It compares with the table as the lake has it, not
// as the registry last recorded it, so an apply that failed after changing
// the lake is completed rather than repeated.
func (a *Applier) evolve(ctx context.Context, id lake.Ident, tp *tablePlan, final *schema.Table) error {
	const op = "apply.evolve"
	tbl, err := a.lake.Load(ctx, id)
	if err != nil {
		return err
	}
	have, err := schema.TableFromIceberg(tbl.Schema())
	if err != nil {
		return errs.Wrap(errs.Internal, op, err, "read schema of %s", id)
	}
	have.Partition = tp.existing.Partition
	ev, err := schema.Evolve(have, final)
	if err != nil {
		return errs.Wrap(errs.Conflict, op, err, "table %s: %v", id, err)
	}
	if !ev.Empty() {
		if tbl, err = a.lake.Evolve(ctx, id, ev, final); err != nil {
			return err
		}
		if have, err = schema.TableFromIceberg(tbl.Schema()); err != nil {
			return errs.Wrap(errs.Internal, op, err, "read evolved schema of %s", id)
		}
	}
	assignIDs(final, have)
	return nil
}

// assignIDs copies field ids by column name from the table as the lake has it.
func assignIDs(t *schema.Table, from *schema.Table) {
	for i := range t.Columns {
		if c, ok := from.Column(t.Columns[i].Name); ok {
			t.Columns[i].FieldID = c.FieldID
		}
	}
}
