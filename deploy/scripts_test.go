package deploy_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoflow/redoflow/internal/testport"
)

// TestScriptsLint runs bash -n and shellcheck on every script in scripts/.
// A missing shellcheck fails the test: CI installs it (.ci/run).
func TestScriptsLint(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed: apt-get install shellcheck (.ci/run does)")
	}
	scripts, err := filepath.Glob("../scripts/*.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"../scripts/monitor-ha-cluster.sh", "../scripts/backup-ha.sh"} {
		if !slices.Contains(scripts, want) {
			t.Errorf("%s is missing", want)
		}
	}
	for _, s := range scripts {
		if b, err := exec.Command("bash", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", s, err, b)
		}
		if b, err := exec.Command(sc, "--shell=bash", "--severity=style", s).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", s, err, b)
		}
		info, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable", s)
		}
	}
}

// TestMonitorScript runs monitor-ha-cluster.sh against two coordinators
// answering with Flink's JSON (a leader and a standby) and a docker stand-in,
// and checks it finds the leader and prints every section; with both
// coordinators down it exits 1, as the Flink script did.
func TestMonitorScript(t *testing.T) {
	for _, tool := range []string{"curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: the script needs it, as the seed's did", tool)
		}
	}
	standby := fakeCoordinator(t, "standby")
	leader := fakeCoordinator(t, "leader")
	deploy := t.TempDir()
	out := filepath.Join(deploy, "output", "cdc", "FINANCE_USER.TRANS_INFO")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "part-0-0.csv"), []byte("op,id\nI,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	docker := "#!/bin/sh\n[ \"$1 $2\" = \"compose version\" ] && exit 0\n" +
		"printf 'NAME\\tSTATUS\\nredoflow-zookeeper-1\\tUp (healthy)\\nredoflow-coordinator-1\\tUp (healthy)\\nredoflow-worker-1\\tUp (healthy)\\n'\n"
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(docker), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(ports string) (string, error) {
		cmd := exec.Command("bash", "../scripts/monitor-ha-cluster.sh")
		cmd.Env = append(os.Environ(),
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"REDOFLOW_DEPLOY_DIR="+deploy,
			"REDOFLOW_HOST=127.0.0.1",
			"REDOFLOW_REST_PORTS="+ports)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	got, err := run(port(t, standby) + " " + port(t, leader))
	t.Log(got)
	if err != nil {
		t.Fatalf("monitor-ha-cluster.sh: %v", err)
	}
	for _, want := range []string{
		"redoflow-coordinator-1",
		"port " + port(t, standby) + ": up (standby)",
		"leader: port " + port(t, leader),
		"workers: 3", "slots total: 12", "slots available: 8", "jobs running: 1",
		"tm-1: slots 4, free 0",
		"job id: 0123456789abcdef0123456789abcdef", "status: RUNNING",
		"checkpoints: 7 completed, 1 failed", "latest checkpoint: 7",
		"FINANCE_USER.TRANS_INFO/part-0-0.csv",
		"=== done ===",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	// Coordinators up, none leading: exit 1, saying so.
	none := fakeCoordinator(t, "none")
	got, err = run(port(t, none))
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(got, "none leads yet") {
		t.Errorf("no leader: exit %v\n%s", err, got)
	}

	down := freePort(t)
	got, err = run(down)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("no coordinator: exit %v, want 1\n%s", err, got)
	}
	if !strings.Contains(got, "no coordinator answers") {
		t.Errorf("no coordinator: output %q", got)
	}
}

// fakeCoordinator answers the REST calls the script makes with Flink's
// field names, and /ha with role.
func fakeCoordinator(t *testing.T, role string) *httptest.Server {
	t.Helper()
	const job = "0123456789abcdef0123456789abcdef"
	answers := map[string]any{
		"/ha":       map[string]any{"role": role, "leader": "coordinator:8081", "epoch": 2},
		"/overview": map[string]any{"taskmanagers": 3, "slots-total": 12, "slots-available": 8, "jobs-running": 1, "flink-version": "redoflow"},
		"/taskmanagers": map[string]any{"taskmanagers": []map[string]any{
			{"id": "tm-1", "slotsNumber": 4, "freeSlots": 0},
			{"id": "tm-2", "slotsNumber": 4, "freeSlots": 4},
			{"id": "tm-3", "slotsNumber": 4, "freeSlots": 4},
		}},
		"/jobs": map[string]any{"jobs": []map[string]any{{"id": job, "status": "RUNNING"}}},
		"/jobs/" + job + "/checkpoints": map[string]any{
			"counts": map[string]any{"completed": 7, "failed": 1, "in_progress": 0},
			"latest": map[string]any{"completed": map[string]any{"id": 7, "latest_ack_timestamp": 1764000000000, "state_size": 512}},
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": []string{"Not found: " + r.URL.Path}})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(a)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func port(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	_, p, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// freePort returns a loopback port nothing listens on, and that no other
// test can listen on while this one runs (see testport).
func freePort(t *testing.T) string { return strconv.Itoa(testport.Get(t)) }

// TestBackupScript runs backup-ha.sh with a docker stand-in whose
// "compose cp" copies from a directory playing the coordinator's volumes,
// the leader's container being down: it must fall back to the standby and
// archive savepoints, checkpoints, HA metadata, docker-compose.yml and .env.
func TestBackupScript(t *testing.T) {
	deploy := t.TempDir()
	vols := t.TempDir()
	for _, f := range []string{"savepoints/savepoint-redoflow-1/_metadata", "checkpoints/redoflow/epoch-1/chk-3/_metadata", "ha/job"} {
		p := filepath.Join(vols, "opt", "redoflow", f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{"docker-compose.yml": "name: redoflow\n", ".env": "HA_MODE=zookeeper\n"} {
		if err := os.WriteFile(filepath.Join(deploy, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := t.TempDir()
	// ps --status running -q SERVICE answers only for the standby; cp
	// SERVICE:PATH DEST copies PATH from the volumes directory.
	docker := `#!/bin/sh
[ "$1 $2" = "compose version" ] && exit 0
shift
case "$1" in
ps) [ "$5" = coordinator-standby ] && echo 0123abcd; exit 0 ;;
cp) echo "$2" >> "` + filepath.Join(bin, "cp.log") + `"; src=${2#*:}; cp -R "` + vols + `$src" "$3"; exit $? ;;
esac
exit 1
`
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(docker), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "../scripts/backup-ha.sh")
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "REDOFLOW_DEPLOY_DIR="+deploy)
	out, err := cmd.CombinedOutput()
	t.Logf("backup-ha.sh:\n%s", out)
	if err != nil {
		t.Fatalf("backup-ha.sh: %v", err)
	}
	cps, _ := os.ReadFile(filepath.Join(bin, "cp.log"))
	if !strings.Contains(string(cps), "coordinator-standby:/opt/redoflow/savepoints") {
		t.Errorf("copied %q: want from coordinator-standby", cps)
	}
	archives, _ := filepath.Glob(filepath.Join(deploy, "backups", "*.tar.gz"))
	if len(archives) != 1 {
		t.Fatalf("archives %v, want one", archives)
	}
	list, err := exec.Command("tar", "-tzf", archives[0]).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/savepoints/savepoint-redoflow-1/_metadata", "/checkpoints/redoflow/epoch-1/chk-3/_metadata", "/ha/job", "/docker-compose.yml", "/.env"} {
		if !strings.Contains(string(list), want) {
			t.Errorf("archive lacks %s:\n%s", want, list)
		}
	}
	if dirs, _ := filepath.Glob(filepath.Join(deploy, "backups", "*")); len(dirs) != 1 {
		t.Errorf("backups/ holds %v: the unpacked copy must be removed", dirs)
	}

	// No coordinator running: exit 1 and nothing archived.
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("bash", "../scripts/backup-ha.sh")
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "REDOFLOW_DEPLOY_DIR="+deploy)
	out, err = cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "neither coordinator") {
		t.Errorf("no coordinator: %v\n%s", err, out)
	}
}
