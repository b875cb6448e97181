package pipeline_test

import (
	"context"
	stdcsv "encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/redoflow/redoflow/internal/scripted"
	"github.com/redoflow/redoflow/pipeline"
	"github.com/redoflow/redoflow/sink/csv"
	"github.com/redoflow/redoflow/verify"
)

// TestMain lets the test binary act as the pipeline process of the crash test.
func TestMain(m *testing.M) {
	if dir := os.Getenv("PIPELINE_CRASH_CHILD"); dir != "" {
		if err := runChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const crashTxns = 400

func runChild(dir string) error {
	cfg := csv.DefaultConfig()
	cfg.Dir, cfg.Task, cfg.RollSize, cfg.RollAge = filepath.Join(dir, "out"), "0", 700, 50*time.Millisecond
	s, err := csv.New(cfg)
	if err != nil {
		return err
	}
	return pipeline.Run(context.Background(), pipeline.Config{
		JobID: "crash", Source: scripted.Source{Txns: crashTxns, Pause: time.Millisecond},
		Sink: csv.PipelineSink{S: s}, CheckpointDir: filepath.Join(dir, "chk"), CheckpointInterval: 20 * time.Millisecond,
	})
}

// TestCrashAtEveryPoint kills the pipeline process with SIGKILL at every
// point of the checkpoint protocol and at random moments, restarting it
// each time, and checks that the output holds every change exactly once.
func TestCrashAtEveryPoint(t *testing.T) {
	dir := t.TempDir()
	kills := []string{
		"before-precommit=3", "after-precommit=2", "after-checkpoint-saved=2", "after-commit=4",
		"after-checkpoint-saved=1", "", "", "", // "" = a kill at a random moment
	}
	rng := rand.New(rand.NewPCG(1, 2))
	killed := 0
	for _, fp := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "PIPELINE_CRASH_CHILD="+dir, "REDOFLOW_FAILPOINTS="+fp)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if fp == "" {
			time.AfterFunc(time.Duration(20+rng.IntN(150))*time.Millisecond, func() { cmd.Process.Signal(syscall.SIGKILL) })
		}
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			killed++
			t.Logf("run killed (failpoint %q)", fp)
			continue
		}
		if err != nil {
			t.Fatalf("child failed: %v", err)
		}
		t.Logf("run finished before the kill (failpoint %q)", fp)
	}
	if killed < 5 {
		t.Fatalf("only %d of %d runs were killed; the test did not exercise crashes", killed, len(kills))
	}
	// The last run goes to the end.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PIPELINE_CRASH_CHILD="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("final run: %v", err)
	}
	truth := t.TempDir()
	if err := scripted.WriteTruth(truth, crashTxns); err != nil {
		t.Fatal(err)
	}
	rep, err := verify.Run(filepath.Join(dir, "out"), truth)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d runs killed; verify:\n%s", killed, rep)
	if !rep.Ran(verify.ModePerChange) {
		t.Fatal("verify did not run the per-change check")
	}
	if !rep.OK() {
		t.Fatal("output does not match")
	}
}

func readCSVFile(t *testing.T, path string) ([]string, [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := stdcsv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v", path, err)
	}
	return recs[0], recs[1:]
}
