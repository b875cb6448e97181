package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// The REST snippets of the Flink HA manual our users run (flink-ha-manual.zh.md, sections
// 5.3, 6.3, 6.4, 8.1, 8.4, 9.4, 10.1), verbatim but for the port: every "localhost:8081"
// becomes the port of the coordinator under test.
var seedSnippets = []struct {
	name, script string
	want         []string // lines the output must contain (%JOB% is the job id)
}{
	{"5.3 overview", `curl -s http://localhost:8081/overview | python3 -c "
import sys, json
data = json.load(sys.stdin)
print(f'Flink 版本: {data.get(\"flink-version\", \"N/A\")}')
print(f'TaskManagers: {data.get(\"taskmanagers\", 0)}')
print(f'总槽位: {data.get(\"slots-total\", 0)}')
print(f'可用槽位: {data.get(\"slots-available\", 0)}')
"`, []string{"TaskManagers: 3", "总槽位: 12", "可用槽位: 11"}},
	{"6.3 jobs", `curl -s http://localhost:8081/jobs | python3 -c "
import sys, json
data = json.load(sys.stdin)
for job in data.get('jobs', []):
    print(f'作业 ID: {job[\"id\"]}')
    print(f'状态: {job[\"status\"]}')
"`, []string{"作业 ID: %JOB%", "状态: RUNNING"}},
	{"6.4 job details", `JOB_ID=$(curl -s http://localhost:8081/jobs | python3 -c "
import sys, json
data = json.load(sys.stdin)
jobs = data.get('jobs', [])
if jobs:
    print(jobs[0]['id'])
")

echo "作业 ID: $JOB_ID"

# 查看作业详情
curl -s http://localhost:8081/jobs/$JOB_ID | python3 -c "
import sys, json
data = json.load(sys.stdin)
print(f'作业名称: {data.get(\"name\", \"N/A\")}')
print(f'状态: {data.get(\"state\", \"N/A\")}')
print(f'开始时间: {data.get(\"start-time\", \"N/A\")}')
print(f'运行时长: {data.get(\"duration\", 0) // 1000} 秒')
"`, []string{"作业 ID: %JOB%", "作业名称: %JOB%", "状态: RUNNING", "运行时长: "}},
	{"8.1 taskmanagers", `curl -s http://localhost:8081/taskmanagers | python3 -c "
import sys, json
data = json.load(sys.stdin)
for tm in data.get('taskmanagers', []):
    print(f'TaskManager ID: {tm[\"id\"]}')
    print(f'  槽位: {tm[\"slotsNumber\"]}')
    print(f'  可用: {tm[\"freeSlots\"]}')
    print()
"`, []string{"TaskManager ID: w0", "TaskManager ID: w1", "TaskManager ID: w2", "  槽位: 4", "  可用: 3", "  可用: 4"}},
	{"9.4 checkpoints", `JOB_ID=$(curl -s http://localhost:8081/jobs | python3 -c "
import sys, json
data = json.load(sys.stdin)
jobs = data.get('jobs', [])
if jobs:
    print(jobs[0]['id'])
")

curl -s http://localhost:8081/jobs/$JOB_ID/checkpoints | python3 -c "
import sys, json
data = json.load(sys.stdin)
latest = data.get('latest', {}).get('completed', {})
print(f'最新 Checkpoint ID: {latest.get(\"id\", \"N/A\")}')
print(f'完成时间: {latest.get(\"latest_ack_timestamp\", \"N/A\")}')
print(f'状态大小: {latest.get(\"state_size\", 0)} bytes')
"`, []string{"最新 Checkpoint ID: ", "完成时间: ", "状态大小: "}},
	{"10.1 savepoint outside SAVEPOINT_DIR", `JOB_ID=$(curl -s http://localhost:8081/jobs | python3 -c "
import sys, json
data = json.load(sys.stdin)
jobs = data.get('jobs', [])
if jobs:
    print(jobs[0]['id'])
")

# 触发 Savepoint
curl -X POST http://localhost:8081/jobs/$JOB_ID/savepoints \
  -H "Content-Type: application/json" \
  -d '{"target-directory": "/opt/flink/savepoints", "cancel-job": false}'`, []string{`"code":"bad_request"`, "outside SAVEPOINT_DIR"}},
}

// runSnippet runs a seed snippet against port and returns its output.
func runSnippet(t testing.TB, port int, script string) string {
	t.Helper()
	s := strings.ReplaceAll(script, "localhost:8081", fmt.Sprintf("localhost:%d", port))
	out, err := exec.Command("bash", "-c", s).CombinedOutput()
	if err != nil {
		t.Errorf("snippet failed: %v\n%s", err, out)
	}
	return string(out)
}

// checkSnippets runs every seed snippet against the coordinators' ports.
func (c *cluster) checkSnippets(job string, ports ...int) {
	c.t.Helper()
	for _, port := range ports {
		for _, sn := range seedSnippets {
			out := runSnippet(c.t, port, sn.script)
			c.t.Logf("port %d, snippet %s:\n%s", port, sn.name, out)
			for _, w := range sn.want {
				w = strings.ReplaceAll(w, "%JOB%", job)
				if !strings.Contains(out, w) {
					c.t.Errorf("port %d, snippet %s: output lacks %q", port, sn.name, w)
				}
			}
			if strings.Contains(out, secret) {
				c.t.Errorf("port %d, snippet %s: output shows DATABASE_PASSWORD", port, sn.name)
			}
		}
	}
}
