// Package deploy_test checks the docker deployment without a docker engine:
// it loads docker-compose.yml with the compose specification's own loader
// (the one docker compose uses) and checks the topology, the seed's
// environment variables, volumes, health checks and limits; it builds the
// static binaries the Dockerfile ships; and it lints the operations scripts.
package deploy_test

import (
	"bufio"
	"context"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/redoflow/redoflow/config"
)

const composeFile = "docker-compose.yml"

// The redoflow processes: they share the image, the volumes and the
// environment.
var processes = []string{"coordinator", "coordinator-standby", "worker"}

// seedEnv reads testdata/seed.env, the seed deployment's complete .env,
// in file order.
func seedEnv(t *testing.T) []string {
	t.Helper()
	return envNames(t, "testdata/seed.env")
}

// envNames lists the NAME of each NAME=VALUE line of an env file.
func envNames(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not NAME=VALUE", file, line)
		}
		names = append(names, name)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// load loads docker-compose.yml as docker compose would, with env as the
// only variables (no OS environment, no .env file) and the given profiles.
func load(t *testing.T, env map[string]string, profiles ...string) *types.Project {
	t.Helper()
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithWorkingDirectory("."),
		cli.WithEnv(kv),
		cli.WithProfiles(profiles),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker compose would reject %s: %v", composeFile, err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("service %s: %v", name, err)
	}
	return s
}

func TestServicesAndProfiles(t *testing.T) {
	base := load(t, nil)
	if got, want := sortedNames(base.Services), []string{"coordinator", "coordinator-standby", "worker", "zookeeper"}; !slices.Equal(got, want) {
		t.Errorf("services without a profile: %v, want %v", got, want)
	}
	if _, ok := base.DisabledServices["oraclesim"]; !ok {
		t.Errorf("oraclesim must exist but stay off without --profile demo")
	}

	demo := load(t, nil, "demo")
	if got, want := sortedNames(demo.Services), []string{"coordinator", "coordinator-standby", "oraclesim", "worker", "zookeeper"}; !slices.Equal(got, want) {
		t.Errorf("services with --profile demo: %v, want %v", got, want)
	}
	sim := service(t, demo, "oraclesim")
	if !slices.Equal(sim.Profiles, []string{"demo"}) {
		t.Errorf("oraclesim profiles %v, want [demo]", sim.Profiles)
	}
	if len(sim.Command) == 0 || sim.Command[0] != "sim" {
		t.Errorf("oraclesim command %v: want redoflow sim", sim.Command)
	}
	// With no .env the demo's processes find the simulator.
	for _, name := range processes {
		if got := env(t, service(t, demo, name), "DATABASE_HOST"); got != "oraclesim" {
			t.Errorf("%s: DATABASE_HOST defaults to %q, want oraclesim", name, got)
		}
	}
	// The SID the simulator serves is the one the workers connect to.
	if !slices.Contains(sim.Command, "--service="+env(t, service(t, demo, "worker"), "DATABASE_SID")) {
		t.Errorf("oraclesim %v does not serve DATABASE_SID", sim.Command)
	}

	if z := service(t, base, "zookeeper"); !strings.HasPrefix(z.Image, "zookeeper:") {
		t.Errorf("zookeeper image %q: want the official zookeeper image", z.Image)
	}
	for _, name := range processes {
		s := service(t, base, name)
		if s.Build == nil || s.Build.Dockerfile != "deploy/Dockerfile" {
			t.Errorf("%s: want build from deploy/Dockerfile, got %+v", name, s.Build)
		}
		if s.User == "" || strings.HasPrefix(s.User, "0:") || s.User == "root" {
			t.Errorf("%s: user %q, want a non-root user", name, s.User)
		}
		if d, ok := s.DependsOn["zookeeper"]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s: must wait for a healthy zookeeper, got %+v", name, s.DependsOn)
		}
	}
	for name, want := range map[string]string{"coordinator": "coordinator", "coordinator-standby": "coordinator", "worker": "worker"} {
		if s := service(t, base, name); !slices.Equal([]string(s.Entrypoint), []string{want}) {
			t.Errorf("%s: entrypoint %v, want [%s]", name, s.Entrypoint, want)
		}
	}
}

// The worker must scale with --scale worker=N: no fixed container name and
// no published host ports to collide.
func TestWorkerScales(t *testing.T) {
	w := service(t, load(t, nil), "worker")
	if w.ContainerName != "" {
		t.Errorf("worker container_name %q: --scale needs none", w.ContainerName)
	}
	for _, p := range w.Ports {
		if p.Published != "" {
			t.Errorf("worker publishes host port %s: --scale would collide", p.Published)
		}
	}
	// The demo's workers wait for the simulator, but only when it is there.
	d, ok := w.DependsOn["oraclesim"]
	if !ok || d.Required {
		t.Errorf("worker must depend on oraclesim with required: false, got %+v", w.DependsOn)
	}
}

// The seed's ports: REST 8081/8082 and metrics 9249/9250 on the host, and
// 2181 for ZooKeeper.
func TestPorts(t *testing.T) {
	p := load(t, nil)
	want := map[string][]string{
		"coordinator":         {"8081:8081", "9249:9249"},
		"coordinator-standby": {"8082:8081", "9250:9249"},
		"zookeeper":           {"2181:2181"},
	}
	for name, ports := range want {
		var got []string
		for _, pc := range service(t, p, name).Ports {
			got = append(got, pc.Published+":"+strconv.FormatUint(uint64(pc.Target), 10))
		}
		sort.Strings(got)
		if !slices.Equal(got, ports) {
			t.Errorf("%s ports %v, want %v", name, got, ports)
		}
	}
	// A changed REST_PORT moves the container side only.
	p = load(t, map[string]string{"REST_PORT": "18081", "METRICS_PORT": "19249", "REDOFLOW_WORKER_PORT": "16121"})
	for _, pc := range service(t, p, "coordinator-standby").Ports {
		if pc.Published == "8082" && pc.Target != 18081 {
			t.Errorf("REST_PORT=18081: 8082 maps to %d", pc.Target)
		}
	}
	if hc := service(t, p, "worker").HealthCheck; hc == nil || !slices.Contains(hc.Test, "127.0.0.1:16121") {
		t.Errorf("worker health check does not follow REDOFLOW_WORKER_PORT: %+v", hc)
	}
}

// Every variable of the seed's .env reaches every redoflow process with
// the value the user set, and .env.example documents each.
func TestSeedEnvironmentPassedThrough(t *testing.T) {
	names := seedEnv(t)
	if len(names) < 20 {
		t.Fatalf("testdata/seed.env lists %d variables: the seed's appendix has 24", len(names))
	}
	set := map[string]string{}
	for _, n := range names {
		set[n] = "value-of-" + n
	}
	// Values that must parse where compose reads them.
	set["REST_PORT"], set["METRICS_PORT"] = "18081", "19249"
	p := load(t, set, "demo")
	for _, proc := range processes {
		s := service(t, p, proc)
		for _, n := range names {
			v, ok := s.Environment[n]
			if !ok || v == nil {
				t.Errorf("%s: %s is not passed through", proc, n)
				continue
			}
			if *v != set[n] {
				t.Errorf("%s: %s=%q, want the .env value %q", proc, n, *v, set[n])
			}
		}
	}

	// Unset, every one still has a value (the documented default).
	p = load(t, nil)
	for _, proc := range processes {
		s := service(t, p, proc)
		for _, n := range names {
			if v := s.Environment[n]; v == nil || *v == "" {
				t.Errorf("%s: %s has no default", proc, n)
			}
		}
	}

	example := envNames(t, ".env.example")
	for _, n := range names {
		if !slices.Contains(example, n) {
			t.Errorf(".env.example lacks the seed's %s", n)
		}
	}
}

// Every variable redoflow's configuration reads reaches every redoflow
// process, so any setting can be made in .env. REDOFLOW_NODE_ID and
// REDOFLOW_ADVERTISED_HOST name one process: they default to its host name,
// and the coordinators set the advertised host.
func TestConfigVariablesPassedThrough(t *testing.T) {
	var read []string
	_, _ = config.Load(func(name string) (string, bool) {
		if !slices.Contains(read, name) {
			read = append(read, name)
		}
		return "", false
	})
	if len(read) < 30 {
		t.Fatalf("config.Load read only %v", read)
	}
	p := load(t, nil)
	perProcess := []string{"REDOFLOW_NODE_ID", "REDOFLOW_ADVERTISED_HOST"}
	for _, proc := range processes {
		s := service(t, p, proc)
		for _, n := range read {
			if _, ok := s.Environment[n]; !ok && !slices.Contains(perProcess, n) {
				t.Errorf("%s: config reads %s, docker-compose.yml does not pass it", proc, n)
			}
		}
	}
	for _, proc := range []string{"coordinator", "coordinator-standby"} {
		if got := env(t, service(t, p, proc), "REDOFLOW_ADVERTISED_HOST"); got != proc {
			t.Errorf("%s advertises %q, want its service name", proc, got)
		}
	}
}

// Every variable docker-compose.yml reads is in .env.example, preceded by a
// comment, and nothing in .env.example is unused.
func TestEnvExampleDocumentsEveryVariable(t *testing.T) {
	yml, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)`).FindAllStringSubmatch(string(yml), -1) {
		used[m[1]] = true
	}
	example := envNames(t, ".env.example")
	for n := range used {
		if !slices.Contains(example, n) {
			t.Errorf("docker-compose.yml reads %s, .env.example does not list it", n)
		}
	}
	for _, n := range example {
		if !used[n] {
			t.Errorf(".env.example lists %s, docker-compose.yml never reads it", n)
		}
	}

	// Each assignment follows a comment (possibly shared by a group of
	// assignments with no blank line between them).
	b, err := os.ReadFile(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		j := i - 1
		for j >= 0 && lines[j] != "" && !strings.HasPrefix(lines[j], "#") {
			j--
		}
		if j < 0 || !strings.HasPrefix(lines[j], "#") {
			t.Errorf(".env.example line %d %q has no comment", i+1, l)
		}
	}

	// The example, used as the .env, loads.
	load(t, readEnvFile(t, ".env.example"), "demo")
}

// The directories every process must see are the same named volumes in
// each, mounted where the default settings point.
func TestSharedVolumes(t *testing.T) {
	p := load(t, nil, "demo")
	want := map[string]string{ // volume -> target
		"redoflow-ha":          "/opt/redoflow/ha",
		"redoflow-checkpoints": "/opt/redoflow/checkpoints",
		"redoflow-savepoints":  "/opt/redoflow/savepoints",
		"redoflow-logs":        "/opt/redoflow/logs",
	}
	for vol, target := range want {
		if _, ok := p.Volumes[vol]; !ok {
			t.Errorf("named volume %s is not declared", vol)
		}
		for _, proc := range processes {
			if got := mountOf(service(t, p, proc), vol); got != target {
				t.Errorf("%s: volume %s mounted at %q, want %q", proc, vol, got, target)
			}
		}
	}
	// The defaults point into the volumes.
	for _, proc := range processes {
		s := service(t, p, proc)
		for name, vol := range map[string]string{"HA_STORAGE_DIR": "redoflow-ha", "CHECKPOINT_DIR": "redoflow-checkpoints", "SAVEPOINT_DIR": "redoflow-savepoints"} {
			if got := strings.TrimPrefix(env(t, s, name), "file://"); got != want[vol] {
				t.Errorf("%s: %s defaults to %q, not into volume %s at %s", proc, name, got, vol, want[vol])
			}
		}
		// ./output on the host is OUTPUT_PATH's parent, relative to the
		// image's working directory /opt/redoflow.
		var bind *types.ServiceVolumeConfig
		for i, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				bind = &s.Volumes[i]
			}
		}
		if bind == nil || path.Base(bind.Source) != "output" || bind.Target != "/opt/redoflow/output" {
			t.Errorf("%s: want ./output bind-mounted at /opt/redoflow/output, got %+v", proc, bind)
		}
		if out := path.Join("/opt/redoflow", env(t, s, "OUTPUT_PATH")); !strings.HasPrefix(out, "/opt/redoflow/output/") {
			t.Errorf("%s: OUTPUT_PATH resolves to %s, outside the ./output bind mount", proc, out)
		}
	}
	z := service(t, p, "zookeeper")
	for vol, target := range map[string]string{"zookeeper-data": "/data", "zookeeper-logs": "/datalog"} {
		if got := mountOf(z, vol); got != target {
			t.Errorf("zookeeper: volume %s at %q, want %q", vol, got, target)
		}
	}
	// The Dockerfile declares the same working directory and paths.
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"WORKDIR /opt/redoflow", "USER 10001:0", "FROM scratch", "CGO_ENABLED=0"} {
		if !strings.Contains(string(df), s) {
			t.Errorf("Dockerfile lacks %q", s)
		}
	}
}

// Every service has a health check; the redoflow image's use redoflow
// health (the image has no curl or shell).
func TestHealthChecks(t *testing.T) {
	p := load(t, nil, "demo")
	for _, s := range p.Services {
		hc := s.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) < 2 {
			t.Errorf("%s: no health check", s.Name)
			continue
		}
		if hc.Test[0] != "CMD" {
			t.Errorf("%s: health check %v: want the exec form (CMD ...), the image has no shell", s.Name, hc.Test)
		}
		if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
			t.Errorf("%s: health check needs interval, timeout and retries", s.Name)
		}
		if s.Name != "zookeeper" && !slices.Equal(hc.Test[1:3], []string{"redoflow", "health"}) {
			t.Errorf("%s: health check %v: want redoflow health", s.Name, hc.Test)
		}
	}
}

// Every service has CPU and memory limits.
func TestResourceLimits(t *testing.T) {
	p := load(t, nil, "demo")
	for _, s := range p.Services {
		if s.Deploy == nil || s.Deploy.Resources.Limits == nil ||
			s.Deploy.Resources.Limits.MemoryBytes <= 0 || s.Deploy.Resources.Limits.NanoCPUs <= 0 {
			t.Errorf("%s: no CPU and memory limits", s.Name)
		}
	}
}

func sortedNames(s types.Services) []string {
	var out []string
	for n := range s {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func env(t *testing.T, s types.ServiceConfig, name string) string {
	t.Helper()
	v, ok := s.Environment[name]
	if !ok || v == nil {
		t.Errorf("%s: no %s", s.Name, name)
		return ""
	}
	return *v
}

func mountOf(s types.ServiceConfig, volume string) string {
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Source == volume {
			return v.Target
		}
	}
	return ""
}

func readEnvFile(t *testing.T, file string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, _ := strings.Cut(l, "=")
		out[k] = v
	}
	return out
}

// The cluster secret of .env reaches every redoflow process, the same in each; the
// internal ports are not published (TestPorts lists every published port), and the
// insecure mode is off unless asked for.
func TestClusterSecretReachesEveryProcess(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	p := load(t, map[string]string{"REDOFLOW_CLUSTER_SECRET": secret, "REDOFLOW_INTERNAL_PORT": "16123"})
	for _, proc := range processes {
		s := service(t, p, proc)
		if got := env(t, s, "REDOFLOW_CLUSTER_SECRET"); got != secret {
			t.Errorf("%s: REDOFLOW_CLUSTER_SECRET=%q, want the .env value", proc, got)
		}
		if got := env(t, s, "REDOFLOW_INTERNAL_PORT"); got != "16123" {
			t.Errorf("%s: REDOFLOW_INTERNAL_PORT=%q", proc, got)
		}
		for _, pc := range s.Ports {
			if pc.Target == 16123 || pc.Target == 6121 {
				t.Errorf("%s publishes the internal port %d", proc, pc.Target)
			}
		}
	}
	for _, proc := range processes {
		if got := env(t, service(t, load(t, nil), proc), "REDOFLOW_INSECURE_CLUSTER"); got != "false" {
			t.Errorf("%s: REDOFLOW_INSECURE_CLUSTER defaults to %q, want false", proc, got)
		}
	}
}
