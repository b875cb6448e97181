package pipeline_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/redoflow/redoflow/change"
	"github.com/redoflow/redoflow/logminer"
	"github.com/redoflow/redoflow/oraclesim"
	"github.com/redoflow/redoflow/pipeline"
)

// printSink is a Go service's own sink: it prints each change and learns,
// through Commit, when a checkpoint covering it is durable.
type printSink struct {
	pending []string
	seen    int
	stop    func() // ends the example once three changes are committed
}

func (s *printSink) Restore(context.Context, []byte) error { return nil }

func (s *printSink) Write(_ context.Context, ev *change.Event) error {
	var vals []string
	for _, v := range ev.Row {
		vals = append(vals, v.Text)
	}
	// The event is reused after the call: keep copies only.
	s.pending = append(s.pending, fmt.Sprintf("%s %s %s", ev.Op, ev.Table.ID(), strings.Join(vals, ",")))
	return nil
}

func (s *printSink) PreCommit(context.Context) ([]byte, error) {
	return []byte(fmt.Sprint(s.seen + len(s.pending))), nil
}

func (s *printSink) Commit(context.Context, []byte) error {
	for _, line := range s.pending {
		fmt.Println(line)
	}
	s.seen += len(s.pending)
	s.pending = nil
	if s.seen >= 3 {
		s.stop()
	}
	return nil
}

// Example embeds redoflow in a Go service: a LogMiner reader as the source
// and the service's own Sink, with redoflow's checkpoints. Here the
// database is the simulator; against Oracle, open it with
// sql.Open("oracle", logminer.GoOraDSN(host, port, service, user, password)).
func Example() {
	db, _ := oraclesim.New(oraclesim.DefaultConfig())
	defer db.Close()
	accounts, _ := db.CreateTable(oraclesim.TableSpec{Schema: "BANK", Name: "ACCOUNTS", PrimaryKey: []string{"ID"},
		Columns: []oraclesim.ColumnSpec{{Name: "ID", Type: "NUMBER"}, {Name: "OWNER", Type: "VARCHAR2(40)"}}})
	start := db.CurrentSCN()
	tx := db.Begin("BANK")
	tx.Insert(accounts, 1, "Ada")
	tx.Insert(accounts, 2, "Grace")
	tx.Commit()
	tx = db.Begin("BANK")
	tx.UpdateByKey(accounts, []any{1}, []string{"OWNER"}, []any{"Ada L."})
	tx.Commit()

	sqldb := sql.OpenDB(oraclesim.NewConnector(db, oraclesim.ConnOptions{User: "BANK"}))
	defer sqldb.Close()
	rc := logminer.DefaultReaderConfig()
	rc.Schema, rc.Tables, rc.StartSCN = "BANK", []string{"ACCOUNTS"}, start
	reader, err := logminer.NewReader(sqldb, rc)
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "redoflow-example")
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = pipeline.Run(ctx, pipeline.Config{
		JobID:              "accounts",
		Source:             reader,
		Sink:               &printSink{stop: cancel},
		CheckpointDir:      dir,
		CheckpointInterval: 10 * time.Millisecond,
	})
	fmt.Println(err)
	// Output:
	// c BANK.ACCOUNTS 1,Ada
	// c BANK.ACCOUNTS 2,Grace
	// u BANK.ACCOUNTS 1,Ada L.
	// context canceled
}
