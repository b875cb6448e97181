package archtest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/redoflow/redoflow"

// rules: no package in from may link (import directly or indirectly, test
// files excluded) a package in banned, or a package below one. cmd/coordinator
// is not listed: with HA_MODE=NONE it runs the worker in process.
var rules = []struct {
	name   string
	from   []string
	banned []string
}{
	{
		name: "the control plane does not link the data path",
		from: []string{module + "/coordinator", module + "/rest", module + "/ha", module + "/ha/zookeeper"},
		banned: []string{
			"github.com/sijms/go-ora/v2",
			module + "/logminer", module + "/snapshot", module + "/sink/csv",
			module + "/pipeline", module + "/jobspec",
		},
	},
	{
		name:   "the pipeline does not know its sinks",
		from:   []string{module + "/pipeline"},
		banned: []string{module + "/sink/csv"},
	},
	{
		// logminer, the reader, imports database/sql: the parser cannot
		// link it either.
		name:   "the SQL_REDO parser links no database",
		from:   []string{module + "/logminer/redo"},
		banned: []string{"database/sql", "github.com/sijms/go-ora/v2"},
	},
	{
		// logminer/redo and snapshot share it: it sits below both.
		name:   "the Oracle type model links no database and neither of its users",
		from:   []string{module + "/oracletype"},
		banned: []string{"database/sql", "github.com/sijms/go-ora/v2", module + "/logminer/redo", module + "/snapshot", module + "/change"},
	},
}

// TestImportDirection fails with the chain of imports that breaks a rule.
func TestImportDirection(t *testing.T) {
	var pkgs []string
	for _, r := range rules {
		pkgs = append(pkgs, r.from...)
		// Listing the banned packages too makes go list fail when one is moved
		// or renamed, so that a rule cannot pass by naming nothing.
		pkgs = append(pkgs, r.banned...)
	}
	slices.Sort(pkgs)
	graph := importGraph(t, slices.Compact(pkgs))
	for _, r := range rules {
		for _, from := range r.from {
			if _, ok := graph[from]; !ok {
				t.Fatalf("go list did not list %s", from)
			}
			for _, banned := range r.banned {
				if chain := pathTo(graph, from, banned); chain != nil {
					t.Errorf("%s: %s links %s:\n\t%s", r.name, short(from), short(banned), strings.Join(chain, "\n\t-> "))
				}
			}
		}
	}
}

// importGraph maps each package pkgs link, pkgs included, to its direct
// imports, test files excluded.
func importGraph(t *testing.T, pkgs []string) map[string][]string {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}"}, pkgs...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	graph := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 0 {
			graph[f[0]] = f[1:]
		}
	}
	return graph
}

// pathTo returns the shortest chain of imports from from to banned or a
// package below it, or nil if there is none.
func pathTo(graph map[string][]string, from, banned string) []string {
	parent := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == banned || strings.HasPrefix(p, banned+"/") {
			var chain []string
			for ; p != ""; p = parent[p] {
				chain = append(chain, short(p))
			}
			slices.Reverse(chain)
			return chain
		}
		for _, q := range graph[p] {
			if _, seen := parent[q]; !seen {
				parent[q] = p
				queue = append(queue, q)
			}
		}
	}
	return nil
}

// short names a redoflow package by its path in the module.
func short(p string) string { return strings.TrimPrefix(p, module+"/") }
