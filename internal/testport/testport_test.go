package testport

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// childEnv makes the test binary, started again, reserve ports and print
// them instead of running the tests.
const childEnv = "REDOFLOW_TESTPORT_CHILD"

func TestMain(m *testing.M) {
	if n, err := strconv.Atoi(os.Getenv(childEnv)); err == nil {
		// A second test process: reserve n ports, say which, and hold them
		// until stdin closes.
		for i := 0; i < n; i++ {
			p, err := Reserve()
			if err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Println(p)
		}
		fmt.Println("done")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func ephemeral(t *testing.T) (lo, hi int) {
	t.Helper()
	b, err := os.ReadFile(rangeFile)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi, err = parseRange(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return lo, hi
}

func TestPortsAreOutsideTheEphemeralRangeAndBindable(t *testing.T) {
	lo, hi := ephemeral(t)
	seen := map[int]bool{}
	for _, p := range GetN(t, 50) {
		if p >= lo && p <= hi {
			t.Errorf("port %d is inside the ephemeral range %d-%d", p, lo, hi)
		}
		if seen[p] {
			t.Errorf("port %d handed out twice", p)
		}
		seen[p] = true
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Errorf("port %d cannot be bound: %v", p, err)
			continue
		}
		l.Close()
	}
}

// TestSkipsAPortSomeoneListensOn: a listener that is no test's (here: one
// bound before the lock was ever taken) makes the port unusable.
func TestSkipsAPortSomeoneListensOn(t *testing.T) {
	mu.Lock()
	if cands == nil {
		c, err := candidates()
		if err != nil {
			mu.Unlock()
			t.Fatal(err)
		}
		cands = c
	}
	// Find the port the next search starts at and occupy it.
	var busy net.Listener
	for busy == nil {
		p := cands[next]
		if _, mine := held[p]; !mine {
			if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
				busy = l
				break
			}
		}
		next = (next + 1) % len(cands)
	}
	mu.Unlock()
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	if p := Get(t); p == busyPort {
		t.Fatalf("handed out port %d, which a listener holds", p)
	}
}

// TestTwoProcessesNeverShareAPort: another test process holding ports
// keeps them from this one for as long as it runs.
func TestTwoProcessesNeverShareAPort(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	theirs := map[int]bool{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if line == "done" {
			break
		}
		p, err := strconv.Atoi(line)
		if err != nil {
			t.Fatalf("child: %s", line)
		}
		theirs[p] = true
	}
	if len(theirs) != n {
		t.Fatalf("child reserved %d ports, want %d", len(theirs), n)
	}
	// The child's ports are closed again (it only holds their locks), so a
	// bind check alone would hand them out here: start the search at the
	// child's first port to make sure it is tried.
	first := -1
	for p := range theirs {
		if first < 0 || p < first {
			first = p
		}
	}
	mu.Lock()
	if cands == nil {
		if cands, err = candidates(); err != nil {
			mu.Unlock()
			t.Fatal(err)
		}
	}
	for i, p := range cands {
		if p == first {
			next = i
		}
	}
	mu.Unlock()
	for _, p := range GetN(t, 3*n) {
		if theirs[p] {
			t.Fatalf("port %d handed to both processes", p)
		}
	}
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in      string
		lo, hi  int
		wantErr string
	}{
		{"32768\t60999\n", 32768, 60999, ""},
		{"1024 65535", 1024, 65535, ""},
		{"32768", 0, 0, "want two numbers"},
		{"a 5", 0, 0, `low end "a"`},
		{"9 b", 0, 0, `high end "b"`},
		{"9 5", 0, 0, "above high end"},
	} {
		lo, hi, err := parseRange(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseRange(%q): error %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || lo != tc.lo || hi != tc.hi {
			t.Errorf("parseRange(%q) = %d, %d, %v", tc.in, lo, hi, err)
		}
	}
}
