package logminer_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
	"github.com/redoflow/redoflow/oraclesim/tns"
	_ "github.com/sijms/go-ora/v2" // the "oracle" driver
)

// startListener serves sim over TCP on a free loopback port until the test
// ends and returns a go-ora *sql.DB on it, opened with GoOraDSN.
func startListener(t testing.TB, sim *oraclesim.DB) (*sql.DB, *tns.Server) {
	t.Helper()
	cfg := tns.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	srv, err := tns.New(cfg, func(ctx context.Context, login tns.Login) (driver.Conn, error) {
		return oraclesim.NewConnector(sim, oraclesim.ConnOptions{User: strings.ToUpper(login.User), Service: login.Service}).Connect(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	<-srv.Ready()
	host, port, _ := net.SplitHostPort(srv.Addr().String())
	p, _ := strconv.Atoi(port)
	db, err := sql.Open("oracle", logminer.GoOraDSN(host, p, cfg.Service, "finance_user", "any"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		stop()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("listener: %v", err)
		}
	})
	return db, srv
}

// createLOBTable creates FINANCE_USER.DOCS with CLOB and BLOB columns.
func createLOBTable(t testing.TB, sim *oraclesim.DB) *oraclesim.Table {
	t.Helper()
	tb, err := sim.CreateTable(oraclesim.TableSpec{Schema: oraclesim.WorkloadSchema, Name: "DOCS", PrimaryKey: []string{"ID"},
		Columns: []oraclesim.ColumnSpec{{Name: "ID", Type: "NUMBER"}, {Name: "TITLE", Type: "VARCHAR2(100)"},
			{Name: "BODY", Type: "CLOB"}, {Name: "IMG", Type: "BLOB"}, {Name: "CREATED", Type: "DATE"}}})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// lobTransactions writes LOB rows: inserts (EMPTY_CLOB() then an UPDATE
// with the value in the redo), updates of LOB and non-LOB columns, a
// rolled-back insert, a savepoint rollback and deletes.
func lobTransactions(t testing.TB, sim *oraclesim.DB, tb *oraclesim.Table, from, n int) {
	t.Helper()
	day := time.Date(2024, 5, 17, 13, 45, 7, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := from; i < from+n; i++ {
		tx := sim.Begin("FINANCE_USER")
		_, err := tx.Insert(tb, i, "doc "+strconv.Itoa(i), strings.Repeat("body ünïcode ", i%7+1)+"'quoted'", []byte{byte(i), 0xff, 0}, day)
		must(err)
		if i%3 == 0 {
			must(tx.UpdateByKey(tb, []any{i}, []string{"BODY"}, []any{"rewritten " + strconv.Itoa(i)}))
		}
		if i%4 == 0 {
			must(tx.Savepoint("S"))
			_, err := tx.Insert(tb, i+100000, "undone", "gone", []byte{1}, day)
			must(err)
			must(tx.UpdateByKey(tb, []any{i}, []string{"TITLE"}, []any{"undone title"}))
			must(tx.RollbackTo("S"))
		}
		_, err = tx.Commit()
		must(err)
		if i%5 == 0 {
			tx := sim.Begin("FINANCE_USER")
			_, err := tx.Insert(tb, i+200000, "rolled back", "never", []byte{2}, day)
			must(err)
			must(tx.Rollback())
		}
		if i%6 == 0 && i > from {
			tx := sim.Begin("FINANCE_USER")
			must(tx.DeleteByKey(tb, i-1))
			_, err := tx.Commit()
			must(err)
		}
	}
}

// TestSameOutputInProcessAndOverGoOra runs one test body against the
// in-process driver and against the real go-ora driver over the TNS
// listener: the captured changes must be identical.
func TestSameOutputInProcessAndOverGoOra(t *testing.T) {
	sim, local := newSim(t, 2, 32<<10)
	lob := createLOBTable(t, sim)
	start := sim.CurrentSCN()
	wc := oraclesim.DefaultWorkloadConfig()
	wc.BigRemarkShare = 0.05
	runWorkload(t, sim, wc, 400)
	lobTransactions(t, sim, lob, 1, 30)
	done := sim.CurrentSCN()
	remote, _ := startListener(t, sim)

	read := func(name string, db *sql.DB) []string {
		var rec recorder
		cfg := testConfig(t, oraclesim.TransInfoTable, oraclesim.TransLogTable, "DOCS")
		if err := readUntil(t, db, cfg, logminer.PositionAt(start), &rec, done); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return rec.lines
	}
	inProcess := read("in process", local)
	overTCP := read("go-ora over TCP", remote)
	if len(inProcess) == 0 {
		t.Fatal("no changes")
	}
	if !slices.Equal(inProcess, overTCP) {
		for i := range min(len(inProcess), len(overTCP)) {
			if inProcess[i] != overTCP[i] {
				t.Fatalf("change %d differs:\n in process %s\n go-ora     %s", i, inProcess[i], overTCP[i])
			}
		}
		t.Fatalf("%d changes in process, %d over go-ora", len(inProcess), len(overTCP))
	}
	t.Logf("%d changes identical in process and over go-ora", len(inProcess))
}
