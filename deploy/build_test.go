package deploy_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// buildFlags are the Dockerfile's: static, no build paths, no symbol
// tables, the zone database embedded.
var buildFlags = []string{"build", "-trimpath", "-tags", "timetzdata", "-ldflags", "-s -w"}

// TestStaticBuild builds every command under cmd/ as the Dockerfile does,
// CGO_ENABLED=0, and checks each binary is static (runs on scratch): no
// program interpreter, no shared libraries. It logs the sizes that
// docs/benchmarks.md records.
func TestStaticBuild(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command("go", append(buildFlags, "-o", out+string(filepath.Separator), "./cmd/...")...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build ./cmd/...: %v\n%s", err, b)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		p := filepath.Join(out, e.Name())
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := elf.Open(p)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				t.Errorf("%s is dynamically linked (has a program interpreter)", e.Name())
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("%s needs shared libraries %v", e.Name(), libs)
		}
		f.Close()
		t.Logf("%-12s %6.1f MiB (%d bytes)", e.Name(), float64(info.Size())/(1<<20), info.Size())
	}
	for _, want := range []string{"redoflow", "coordinator", "worker"} {
		if !slices.Contains(names, want) {
			t.Errorf("built %v: no %s, which the image must hold", names, want)
		}
	}
	// Every entrypoint the compose file names is one of the binaries.
	for _, svc := range load(t, nil, "demo").Services {
		if len(svc.Entrypoint) > 0 && !slices.Contains(names, svc.Entrypoint[0]) {
			t.Errorf("service %s runs %q, which ./cmd/... does not build", svc.Name, svc.Entrypoint[0])
		}
	}
	// The health check the compose file runs is in the image.
	health := exec.Command(filepath.Join(out, "redoflow"), "health", "-h")
	if b, err := health.CombinedOutput(); err != nil || !strings.Contains(string(b), "-tcp") {
		t.Errorf("redoflow health -h: %v\n%s", err, b)
	}
}
