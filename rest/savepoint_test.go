package rest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/rest"
)

// Targets are checked where they lead, not as text: the image links /opt/flink to
// /opt/redoflow, so the seed's /opt/flink/savepoints is SAVEPOINT_DIR=/opt/redoflow/savepoints
// and is accepted (it was refused with 400); a link inside SAVEPOINT_DIR that leads out
// of it is refused (the savepoint was written outside), dangling or not.
func TestSavepointTargetFollowsLinks(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sp := filepath.Join(root, "redoflow", "savepoints")
	for _, d := range []string{sp, filepath.Join(root, "elsewhere")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		filepath.Join(root, "flink"):  "redoflow",                                        // the image's /opt/flink
		filepath.Join(sp, "out"):      filepath.Join(root, "elsewhere"),                  // leads out
		filepath.Join(sp, "dangling"): filepath.Join(root, "nowhere"),                    // leads out, not there yet
		filepath.Join(sp, "up"):       "..",                                              // SAVEPOINT_DIR's parent
		filepath.Join(sp, "in"):       filepath.Join(root, "flink", "savepoints", "sub"), // stays in
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		req, want string
		ok        bool
	}{
		{filepath.Join(root, "flink", "savepoints"), sp, true},
		{"file://" + filepath.Join(root, "flink", "savepoints", "new"), filepath.Join(sp, "new"), true},
		{"in/x", filepath.Join(sp, "sub", "x"), true},
		{"out", "", false},
		{"out/x", "", false},
		{filepath.Join(sp, "dangling", "x"), "", false},
		{"up/savepoints-too", "", false},
		{filepath.Join(root, "flink"), "", false},
	} {
		got, err := rest.SavepointTarget(sp, tc.req)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("SavepointTarget(%s, %q) = %q, %v; want %q ok=%v", sp, tc.req, got, err, tc.want, tc.ok)
		}
	}
	// The seed's own layout, through SAVEPOINT_DIR given as the link.
	if got, err := rest.SavepointTarget(filepath.Join(root, "flink", "savepoints"), filepath.Join(sp, "x")); err != nil || got != filepath.Join(sp, "x") {
		t.Errorf("SAVEPOINT_DIR through the link: %q, %v", got, err)
	}
}

// Names no file system takes are a bad request, refused before the backend: they were
// passed on and failed there with 500.
func TestSavepointTargetRefusesImpossibleNames(t *testing.T) {
	lf := &fake{}
	h, err := rest.NewHandler(rest.Config{Backend: lf, SavepointDir: "/sp", HA: func() rest.HAStatus {
		return rest.HAStatus{Role: "leader", ID: "c0", Epoch: 4}
	}})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a", 300)
	for name, body := range map[string]string{
		"NUL byte":      `{"target-directory": "/sp/a\u0000b"}`,
		"300-char name": `{"target-directory": "/sp/` + long + `"}`,
		"long path":     `{"target-directory": "/sp/` + strings.Repeat("abcdefgh/", 500) + `"}`,
	} {
		resp, out := do(t, h, "POST", "/jobs/j/savepoints", body)
		if resp.StatusCode != 400 || lf.triggered != "" {
			t.Errorf("%s: %d %s (backend got %q), want 400 before the backend", name, resp.StatusCode, out, lf.triggered)
		}
	}
	resp, out := do(t, h, "POST", "/jobs/j/resume", `{"savepointPath": "/sp/`+long+`"}`)
	if resp.StatusCode != 400 || lf.triggered != "" {
		t.Errorf("resume from a 300-char name: %d %s", resp.StatusCode, out)
	}
}
