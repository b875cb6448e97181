package testzk_test

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/redoflow/redoflow/internal/testzk"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSingleServer(t *testing.T) {
	c := testzk.Start(t, 1)
	if got := len(c.Servers()); got != 1 {
		t.Fatalf("Servers() has %d entries, want 1", got)
	}
	out, err := testzk.FourLetter(c.Addr(0), "ruok", time.Second)
	if err != nil || out != "imok\n" {
		t.Fatalf("ruok = %q, %v; want imok", out, err)
	}
	if m, err := c.Mode(0); err != nil || m != "standalone" {
		t.Fatalf("Mode = %q, %v; want standalone", m, err)
	}
	pid := c.Pid(0)
	c.Restart(0)
	if c.Pid(0) == pid || c.Pid(0) == 0 {
		t.Fatalf("Restart kept pid %d (now %d)", pid, c.Pid(0))
	}
	c.Freeze(0)
	if _, err := testzk.FourLetter(c.Addr(0), "ruok", 500*time.Millisecond); err == nil {
		t.Fatal("a frozen server answered ruok")
	}
	c.Thaw(0)
	if m, err := c.Mode(0); err != nil || m != "standalone" {
		t.Fatalf("after Thaw: Mode = %q, %v; want standalone", m, err)
	}
	c.Stop(0)
	if c.Pid(0) != 0 {
		t.Fatal("Pid after Stop is not 0")
	}
	if _, err := testzk.FourLetter(c.Addr(0), "ruok", 500*time.Millisecond); err == nil {
		t.Fatal("a stopped server answered ruok")
	}
}

func TestEnsemble(t *testing.T) {
	c := testzk.Start(t, 3)
	modes := map[string]int{}
	for i := range 3 {
		m, err := c.Mode(i)
		if err != nil {
			t.Fatalf("server %d: %v", i, err)
		}
		modes[m]++
	}
	if modes["leader"] != 1 || modes["follower"] != 2 {
		t.Fatalf("modes = %v, want one leader and two followers", modes)
	}
	if s := strings.Join(c.Servers(), ","); strings.Count(s, "127.0.0.1:") != 3 {
		t.Fatalf("Servers() = %s", s)
	}
}
