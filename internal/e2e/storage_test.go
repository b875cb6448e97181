package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// runJob runs redoflow run --until-truth with env (and extra settings) to
// its end and returns its exit code and stderr. failpoint, when set, makes
// it SIGKILL itself there (exit code -1).
func runJob(t *testing.T, env []string, truth, failpoint, prefix string, extra ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, redoflowBin, "run", "--until-truth", truth)
	cmd.Env = append(append(slices.Clone(env), extra...), "REDOFLOW_FAILPOINTS="+failpoint)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, io.MultiWriter(&stderr, &testWriter{t: t, prefix: prefix})
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s: %v", prefix, err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// waitUntil polls cond every 50 ms; a hang guard fails the test after 5
// minutes (no timing is asserted).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Minute); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 minutes", what)
		}
	}
}

// TestSecondJobRefused: while a job runs, a second redoflow run on the same
// directories, or sharing only its checkpoint directory or only its output,
// is refused at once (exit 1), naming the directory and the first job's
// pid; the first job's output verifies clean.
func TestSecondJobRefused(t *testing.T) {
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth")
	// A 15 s workload: the first job must still hold its directories while the
	// three refused runs start, however loaded the machine is.
	addr := startSim(t, "--changes", "30000", "--rate", "2000", "--truth", truth)
	env := jobEnv(addr, dir)
	first := exec.Command(redoflowBin, "run", "--until-truth", truth)
	first.Env = append(slices.Clone(env), "REDOFLOW_FAILPOINTS=")
	first.Stdout, first.Stderr = io.Discard, &testWriter{t: t, prefix: "first: "}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	var firstErr error
	exited := make(chan struct{})
	go func() { firstErr = first.Wait(); close(exited) }()
	defer func() {
		first.Process.Kill()
		<-exited
	}()
	pid := first.Process.Pid
	waitUntil(t, "the first job's first checkpoint", func() bool { return newestCheckpoint(filepath.Join(dir, "chk")) > 0 })
	for _, c := range []struct {
		name  string
		extra []string
		names string
	}{
		{"same directories", nil, "CHECKPOINT_DIR=" + fmt.Sprintf("%q", filepath.Join(dir, "chk", "e2e"))},
		{"own checkpoints, same output", []string{"CHECKPOINT_DIR=" + filepath.Join(dir, "chk2")}, "OUTPUT_PATH=" + fmt.Sprintf("%q", filepath.Join(dir, "out"))},
		{"own output, same checkpoints", []string{"OUTPUT_PATH=" + filepath.Join(dir, "out2")}, "CHECKPOINT_DIR="},
	} {
		code, stderr := runJob(t, env, truth, "", "second ("+c.name+"): ", c.extra...)
		if code != 1 || !strings.Contains(stderr, c.names) || !strings.Contains(stderr, fmt.Sprintf("held by pid %d on host ", pid)) ||
			!strings.Contains(stderr, "in use by another redoflow job") {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 naming %s and pid %d", c.name, code, stderr, c.names, pid)
		}
	}
	<-exited
	if firstErr != nil {
		t.Fatalf("first job: %v", firstErr)
	}
	verifyOutput(t, redoflowBin, filepath.Join(dir, "out"), truth)
}

// outputFiles lists the table directories' files of out with their sizes.
func outputFiles(t *testing.T, out string) map[string]int64 {
	t.Helper()
	files := map[string]int64{}
	paths, _ := filepath.Glob(filepath.Join(out, "*", "*"))
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = fi.Size()
	}
	return files
}

// TestNoCheckpointOverOutputRefused: a job whose output holds committed files
// but whose checkpoints are all unreadable, or whose checkpoint directory was
// deleted, refuses to start fresh (exit 1, a message saying what to do) and
// touches no file; once the checkpoints are back, it resumes and the output
// verifies clean: nothing was written twice.
func TestNoCheckpointOverOutputRefused(t *testing.T) {
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth")
	// The workload (20 s) outlasts the first run's twelve commits (a checkpoint every
	// 300 ms) however the machine is loaded; a 4 s one could end first.
	addr := startSim(t, "--changes", "30000", "--rate", "1500", "--truth", truth)
	env := jobEnv(addr, dir)
	out, chk := filepath.Join(dir, "out"), filepath.Join(dir, "chk")
	if code, _ := runJob(t, env, truth, "after-commit=12", "run 0: "); code != -1 {
		t.Fatalf("run 0 exited %d, want killed at its failpoint", code)
	}
	if committed, _ := filepath.Glob(filepath.Join(out, "*", "part-*.csv")); len(committed) == 0 {
		t.Fatal("run 0 committed no file")
	}
	before := outputFiles(t, out)
	refused := func(name, want string) {
		t.Helper()
		code, stderr := runJob(t, env, truth, "", name+": ")
		if code != 1 || !strings.Contains(stderr, "holds committed files of task 0") || !strings.Contains(stderr, want) ||
			!strings.Contains(stderr, "restore the job's checkpoint directory") {
			t.Fatalf("%s: exit %d, stderr %q; want exit 1 refusing to start fresh (%s)", name, code, stderr, want)
		}
		if after := outputFiles(t, out); !maps.Equal(before, after) {
			t.Fatalf("%s: the refused run changed the output: %v, was %v", name, after, before)
		}
	}

	// Every checkpoint unreadable.
	metas, _ := filepath.Glob(filepath.Join(chk, "e2e", "chk-*", "_metadata"))
	if len(metas) == 0 {
		t.Fatal("run 0 left no checkpoint")
	}
	saved := map[string][]byte{}
	for _, m := range metas {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		saved[m] = b
		bad := slices.Clone(b)
		bad[len(bad)-3] ^= 0x20
		if err := os.WriteFile(m, bad, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	refused("unreadable checkpoints", "checkpoints in "+filepath.Join(chk, "e2e")+" is readable")
	for m, b := range saved {
		if err := os.WriteFile(m, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The checkpoint directory deleted (here: moved away, to be put back).
	if err := os.Rename(chk, chk+".moved"); err != nil {
		t.Fatal(err)
	}
	refused("checkpoint directory deleted", "no completed checkpoint in "+filepath.Join(chk, "e2e"))
	if err := os.RemoveAll(chk); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(chk+".moved", chk); err != nil {
		t.Fatal(err)
	}

	crashLoop(t, redoflowBin, env, truth, chk, nil, 3*time.Minute, nil)
	verifyOutput(t, redoflowBin, out, truth)
}

// TestSpillLeftoversRemoved: a job SIGKILLed while it spills transactions
// to REDOFLOW_SPILL_DIR leaves its spill files behind; the next run removes
// them on start, and once the job has drained none is left. The output
// verifies clean.
func TestSpillLeftoversRemoved(t *testing.T) {
	dir := t.TempDir()
	truth := filepath.Join(dir, "truth")
	addr := startSim(t, "--changes", "6000", "--rate", "1500", "--truth", truth)
	spill := filepath.Join(dir, "spill")
	if err := os.Mkdir(spill, 0o755); err != nil {
		t.Fatal(err)
	}
	// A threshold of one byte: every transaction of more than one change spills.
	env := append(jobEnv(addr, dir), "REDOFLOW_SPILL_THRESHOLD=1", "REDOFLOW_SPILL_DIR="+spill)
	leftovers := func() []string {
		files, _ := filepath.Glob(filepath.Join(spill, "redoflow-txn-*.spill"))
		return files
	}
	kills := []kill{{failpoint: "after-spill=5"}, {failpoint: "after-spill=30"}}
	killed := crashLoop(t, redoflowBin, env, truth, filepath.Join(dir, "chk"), kills, 3*time.Minute, func(run int) {
		if len(leftovers()) == 0 {
			t.Errorf("run %d was killed while spilling and left no spill file", run)
		}
	})
	if killed != len(kills) {
		t.Fatalf("%d runs killed while spilling, want %d", killed, len(kills))
	}
	if left := leftovers(); len(left) != 0 {
		t.Errorf("spill files left after the job drained: %v", left)
	}
	verifyOutput(t, redoflowBin, filepath.Join(dir, "out"), truth)
}
