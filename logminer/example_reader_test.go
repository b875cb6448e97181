package logminer_test

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
)

// printer prints each change and stops the reader once it has mined past
// the last SCN of the example.
type printer struct {
	done uint64
	stop context.CancelFunc
}

func (p printer) Change(_ context.Context, ev *change.Event) error {
	// ev and ev.Row are only valid during the call: copy what you keep.
	fmt.Printf("%c %s seq=%d %v\n", ev.Op, ev.Table.ID(), ev.Seq, ev.Row)
	return nil
}

func (p printer) Boundary(_ context.Context, pos change.Position) error {
	// A checkpoint taken here stores pos; Run(ctx, pos, h) resumes after
	// everything handed over so far.
	if restart, _, _ := logminer.PositionSCNs(pos); restart > p.done {
		p.stop()
	}
	return nil
}

// ExampleReader reads two committed transactions; the rolled-back one
// never appears. With a real database, open db with
// sql.Open("oracle", logminer.GoOraDSN(host, port, service, user, password)).
func ExampleReader() {
	sim, _ := oraclesim.New(oraclesim.DefaultConfig())
	defer sim.Close()
	accounts, _ := sim.CreateTable(oraclesim.TableSpec{Schema: "FINANCE_USER", Name: "ACCOUNTS", PrimaryKey: []string{"ID"},
		Columns: []oraclesim.ColumnSpec{{Name: "ID", Type: "NUMBER"}, {Name: "OWNER", Type: "VARCHAR2(40)"}, {Name: "BALANCE", Type: "NUMBER(18,2)"}}})
	db := sql.OpenDB(oraclesim.NewConnector(sim, oraclesim.ConnOptions{User: "FINANCE_USER"}))
	defer db.Close()

	start := sim.CurrentSCN()
	tx := sim.Begin("FINANCE_USER")
	tx.Insert(accounts, 1, "O'Brien", "100.50")
	tx.Insert(accounts, 2, "Zhang", "7")
	tx.Commit()
	tx = sim.Begin("FINANCE_USER")
	tx.UpdateByKey(accounts, []any{1}, []string{"BALANCE"}, []any{"0.5"})
	tx.Commit()
	tx = sim.Begin("FINANCE_USER")
	tx.DeleteByKey(accounts, 2)
	tx.Rollback()

	cfg := logminer.DefaultReaderConfig()
	cfg.Schema, cfg.Tables = "FINANCE_USER", []string{"ACCOUNTS"}
	r, err := logminer.NewReader(db, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	err = r.Run(ctx, logminer.PositionAt(start), printer{done: sim.CurrentSCN(), stop: stop})
	fmt.Println(err)
	// Output:
	// c FINANCE_USER.ACCOUNTS seq=0 [{1 false} {O'Brien false} {100.5 false}]
	// c FINANCE_USER.ACCOUNTS seq=1 [{2 false} {Zhang false} {7 false}]
	// u FINANCE_USER.ACCOUNTS seq=0 [{1 false} {O'Brien false} {0.5 false}]
	// context canceled
}
