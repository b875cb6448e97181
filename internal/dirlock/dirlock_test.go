package dirlock

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestExclusiveRefusesAnyOther: an exclusive lock refuses a second
// exclusive and a shared taker, naming the holder; once released, the
// directory can be taken again and the record is gone.
func TestExclusiveRefusesAnyOther(t *testing.T) {
	dir := t.TempDir()
	l, err := Exclusive(dir, "CHECKPOINT_DIR", "job-a")
	if err != nil {
		t.Fatal(err)
	}
	for name, take := range map[string]func() (*Lock, error){
		"exclusive": func() (*Lock, error) { return Exclusive(dir, "OUTPUT_PATH", "job-b") },
		"shared":    func() (*Lock, error) { return Shared(dir, "OUTPUT_PATH") },
	} {
		_, err := take()
		var he *HeldError
		if !errors.As(err, &he) || !errors.Is(err, ErrHeld) {
			t.Fatalf("%s: %v, want a HeldError", name, err)
		}
		want := fmt.Sprintf("held by pid %d on host ", os.Getpid())
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "job job-a") ||
			!strings.Contains(err.Error(), strconv.Quote(dir)) || !strings.Contains(err.Error(), "OUTPUT_PATH=") {
			t.Errorf("%s: %q does not name the directory and the holder", name, err)
		}
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, FileName)); len(b) != 0 {
		t.Errorf("released lock file still holds %q", b)
	}
	l, err = Exclusive(dir, "CHECKPOINT_DIR", "job-b")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l.Release()
}

// TestSharedHolders: shared holders (a cluster's task attempts) never
// exclude each other, and refuse an exclusive taker as shared holders.
func TestSharedHolders(t *testing.T) {
	dir := t.TempDir()
	a, err := Shared(dir, "OUTPUT_PATH")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Shared(dir, "OUTPUT_PATH")
	if err != nil {
		t.Fatalf("second shared holder: %v", err)
	}
	_, err = Exclusive(dir, "OUTPUT_PATH", "standalone")
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "shared by the task attempts of a cluster's workers") {
		t.Fatalf("exclusive beside shared holders: %v", err)
	}
	a.Release()
	b.Release()
	l, err := Exclusive(dir, "OUTPUT_PATH", "standalone")
	if err != nil {
		t.Fatalf("after the shared holders left: %v", err)
	}
	l.Release()
}

// TestExclusiveFile: a file's lock is its own, beside the directory's.
func TestExclusiveFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "dead.jsonl")
	l, err := ExclusiveFile(file, "REDOFLOW_DEAD_LETTER_PATH", "a")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if _, err := ExclusiveFile(file, "REDOFLOW_DEAD_LETTER_PATH", "b"); !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), strconv.Quote(file)) {
		t.Fatalf("second taker of the file: %v", err)
	}
	other, err := ExclusiveFile(filepath.Join(dir, "other.jsonl"), "REDOFLOW_DEAD_LETTER_PATH", "b")
	if err != nil {
		t.Fatalf("another file of the directory: %v", err)
	}
	other.Release()
	d, err := Exclusive(dir, "OUTPUT_PATH", "b")
	if err != nil {
		t.Fatalf("the directory: %v", err)
	}
	d.Release()
}

// TestLockDiesWithItsProcess: a process killed with SIGKILL holds its lock
// no more; until then, the refusal names its pid.
func TestLockDiesWithItsProcess(t *testing.T) {
	if dir := os.Getenv("DIRLOCK_TEST_HOLD"); dir != "" {
		if _, err := Exclusive(dir, "CHECKPOINT_DIR", "child"); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		select {} // held until killed
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockDiesWithItsProcess$")
	cmd.Env = append(os.Environ(), "DIRLOCK_TEST_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child: %q, %v", line, err)
	}
	_, err = Exclusive(dir, "CHECKPOINT_DIR", "parent")
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d ", cmd.Process.Pid)) {
		t.Fatalf("while the child holds it: %v", err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	l, err := Exclusive(dir, "CHECKPOINT_DIR", "parent")
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	l.Release()
}
