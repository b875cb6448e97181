package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// The operator commands: jobs, savepoint, cancel and status speak the
// coordinators' Flink-compatible REST API, so they work against any
// coordinator (leader or standby) and replace the seed manual's curl and
// python3 snippets.

const restTimeout = 10 * time.Second

// jobArg parses flags followed by exactly one JOB argument; flags may come
// before or after it.
func jobArg(fs *flag.FlagSet, name string, args []string) (string, error) {
	// Let flags follow the job id as well as precede it.
	var job string
	rest := args
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		job, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", err
		}
		return "", usageErr(err)
	}
	left := fs.Args()
	if job == "" && len(left) > 0 {
		job, left = left[0], left[1:]
	}
	if len(left) > 0 {
		return "", usageErr(fmt.Errorf("unexpected argument %q", left[0]))
	}
	if job == "" {
		return "", usageErr(fmt.Errorf("usage: redoflow %s JOB [flags]: give a job id (redoflow jobs lists them)", name))
	}
	return job, nil
}

func runJobs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("jobs", stderr)
	rest := restFlag(fs)
	asJSON := fs.Bool("json", false, "print the jobs as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	c, err := newRESTClient(*rest, restTimeout)
	if err != nil {
		return err
	}
	jobs, err := c.jobs(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(jobsOverview{Jobs: jobs})
	}
	if len(jobs) == 0 {
		fmt.Fprintln(stdout, "no jobs")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB ID\tNAME\tSTATE\tSTARTED\tDURATION")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", j.ID, dash(j.Name), j.State, millisTime(j.StartTime), millisDuration(j.Duration))
	}
	return tw.Flush()
}

func runSavepoint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("savepoint", stderr)
	rest := restFlag(fs)
	cancelJob := fs.Bool("cancel", false, "cancel the job once the savepoint is complete (stop with savepoint)")
	target := fs.String("target-directory", "", "where to write the savepoint, inside SAVEPOINT_DIR (default: SAVEPOINT_DIR)")
	wait := fs.Duration("wait", 5*time.Minute, "how long to wait for the savepoint to complete (0: trigger and return)")
	poll := fs.Duration("poll", 500*time.Millisecond, "how often to ask for the savepoint's status")
	job, err := jobArg(fs, "savepoint", args)
	if err != nil {
		return err
	}
	if *wait < 0 || *poll <= 0 {
		return usageErr(errors.New("--wait must not be negative and --poll must be positive"))
	}
	c, err := newRESTClient(*rest, restTimeout)
	if err != nil {
		return err
	}
	if job, err = c.resolveJob(ctx, job); err != nil {
		return err
	}
	body := map[string]any{"cancel-job": *cancelJob}
	if *target != "" {
		body["target-directory"] = *target
	}
	var trig savepointTrigger
	if _, err := c.do(ctx, http.MethodPost, "/jobs/"+url.PathEscape(job)+"/savepoints", body, &trig); err != nil {
		return err
	}
	if trig.RequestID == "" {
		return errors.New("the coordinator accepted the savepoint but returned no request-id")
	}
	fmt.Fprintf(stderr, "savepoint triggered for job %s, request-id %s\n", job, trig.RequestID)
	if *wait == 0 {
		fmt.Fprintln(stdout, trig.RequestID)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	path := "/jobs/" + url.PathEscape(job) + "/savepoints/" + url.PathEscape(trig.RequestID)
	for {
		var st savepointStatus
		if _, err := c.do(ctx, http.MethodGet, path, nil, &st); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("savepoint %s not complete after %v: %w", trig.RequestID, *wait, ctx.Err())
			}
			return err
		}
		if st.Status.ID == "COMPLETED" {
			if st.Operation == nil {
				return fmt.Errorf("savepoint %s completed without a result", trig.RequestID)
			}
			if fc := st.Operation.FailureCause; fc != nil {
				msg := strings.TrimSpace(fc.StackTrace)
				if i := strings.IndexByte(msg, '\n'); i >= 0 {
					msg = msg[:i]
				}
				return fmt.Errorf("savepoint %s failed: %s", trig.RequestID, strings.TrimSpace(fc.Class+" "+msg))
			}
			if *cancelJob {
				fmt.Fprintf(stderr, "job %s cancelled after the savepoint\n", job)
			}
			fmt.Fprintln(stdout, st.Operation.Location)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("savepoint %s not complete after %v (status %s): %w", trig.RequestID, *wait, st.Status.ID, ctx.Err())
		case <-time.After(*poll):
		}
	}
}

func runCancel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cancel", stderr)
	rest := restFlag(fs)
	wait := fs.Duration("wait", 30*time.Second, "how long to wait for the job to reach CANCELED (0: do not wait)")
	poll := fs.Duration("poll", 500*time.Millisecond, "how often to ask for the job's state")
	job, err := jobArg(fs, "cancel", args)
	if err != nil {
		return err
	}
	if *wait < 0 || *poll <= 0 {
		return usageErr(errors.New("--wait must not be negative and --poll must be positive"))
	}
	c, err := newRESTClient(*rest, restTimeout)
	if err != nil {
		return err
	}
	if job, err = c.resolveJob(ctx, job); err != nil {
		return err
	}
	// Flink accepts both the ?mode=cancel query and the seed manual's body.
	if _, err := c.do(ctx, http.MethodPatch, "/jobs/"+url.PathEscape(job)+"?mode=cancel", map[string]string{"state": "cancelled"}, nil); err != nil {
		return err
	}
	if *wait == 0 {
		fmt.Fprintf(stdout, "job %s: cancellation requested\n", job)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	for {
		var j jobOverview
		if _, err := c.do(ctx, http.MethodGet, "/jobs/"+url.PathEscape(job), nil, &j); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("job %s not cancelled after %v: %w", job, *wait, ctx.Err())
			}
			return err
		}
		switch j.State {
		case "CANCELED", "CANCELLED":
			fmt.Fprintf(stdout, "job %s: %s\n", job, j.State)
			return nil
		case "FINISHED", "FAILED":
			return fmt.Errorf("job %s ended %s, not cancelled", job, j.State)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("job %s still %s after %v: %w", job, j.State, *wait, ctx.Err())
		case <-time.After(*poll):
		}
	}
}

// haInfo is GET /ha: which role a coordinator has and who leads.
type haInfo map[string]any

func (h haInfo) str(keys ...string) string {
	for _, k := range keys {
		if v, ok := h[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// runStatus is the monitoring view of the seed's monitor-ha-cluster.sh:
// coordinators and the leader, workers and slots, jobs, checkpoints and the
// newest CSV files. It fails when no coordinator answers.
func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stderr)
	rest := restFlag(fs)
	out := os.Getenv("OUTPUT_PATH")
	if out == "" {
		out = "./output/cdc"
	}
	output := fs.String("output", strings.TrimPrefix(out, "file://"), "the CSV output directory to list the newest files of ($OUTPUT_PATH; empty: skip)")
	files := fs.Int("files", 5, "how many of the newest CSV files to list")
	if err := parse(fs, args); err != nil {
		return err
	}
	c, err := newRESTClient(*rest, restTimeout)
	if err != nil {
		return err
	}
	w := &errWriter{w: stdout}
	w.printf("=== redoflow cluster status ===\n")
	w.printf("time: %s\n\n", time.Now().Format(time.RFC3339))

	// 1. Coordinators, asked one by one: a down standby must show as down.
	w.printf("1. Coordinators:\n")
	leader := ""
	anyUp, anyHA := false, false
	for _, base := range c.bases {
		// GET /ha is answered by each coordinator itself, never forwarded:
		// it tells a live standby from a dead one even when no one leads.
		one := &restClient{bases: []string{base}, hc: c.hc}
		var ha haInfo
		if _, err := one.do(ctx, http.MethodGet, "/ha", nil, &ha); err == nil {
			anyUp, anyHA = true, true
			role := ha.str("role")
			if l := ha.str("leader-address", "leader"); l != "" && !strings.EqualFold(role, "leader") {
				role += ", leader " + l
			}
			if e := ha.str("epoch"); e != "" {
				role += ", epoch " + e
			}
			if strings.EqualFold(ha.str("role"), "leader") && leader == "" {
				leader = base
			}
			w.printf("   %-28s UP    (%s)\n", base, role)
			continue
		}
		// A coordinator without /ha counts as up when it answers /overview.
		var ov overview
		if _, err := one.do(ctx, http.MethodGet, "/overview", nil, &ov); err != nil {
			w.printf("   %-28s DOWN  (%s)\n", base, shortErr(err))
			continue
		}
		anyUp = true
		w.printf("   %-28s UP\n", base)
	}
	if !anyUp {
		w.printf("\n   error: no coordinator answers\n")
		if w.err != nil {
			return w.err
		}
		return fmt.Errorf("%w (tried %s)", errNoCoordinator, strings.Join(c.bases, ", "))
	}
	switch {
	case leader != "":
		w.printf("   leader: %s\n", leader)
		// Ask the leader first from here on.
		c.bases = append([]string{leader}, without(c.bases, leader)...)
	case anyHA:
		w.printf("   leader: none elected yet\n")
	}
	w.printf("\n")

	// 2. Resources.
	var ov overview
	if _, err := c.do(ctx, http.MethodGet, "/overview", nil, &ov); err != nil {
		return err
	}
	w.printf("2. Cluster resources:\n")
	w.printf("   workers: %d\n   slots total: %d\n   slots available: %d\n   jobs running: %d\n\n",
		ov.TaskManagers, ov.SlotsTotal, ov.SlotsAvailable, ov.JobsRunning)

	// 3. Workers.
	w.printf("3. Workers:\n")
	var tms taskManagers
	if _, err := c.do(ctx, http.MethodGet, "/taskmanagers", nil, &tms); err != nil {
		w.printf("   (%s)\n", shortErr(err))
	} else if len(tms.TaskManagers) == 0 {
		w.printf("   no workers registered\n")
	} else {
		for _, tm := range tms.TaskManagers {
			w.printf("   %s  slots %d, free %d, last heartbeat %s ago\n", tm.ID, tm.SlotsNumber, tm.FreeSlots, (time.Duration(tm.TimeSinceLastHeartbeat) * time.Millisecond).Round(time.Millisecond))
		}
	}
	w.printf("\n")

	// 4. Jobs and 5. their checkpoints.
	jobs, err := c.jobs(ctx)
	if err != nil {
		return err
	}
	w.printf("4. Jobs:\n")
	if len(jobs) == 0 {
		w.printf("   no jobs\n")
	}
	for _, j := range jobs {
		w.printf("   %s  %s  %s  running for %s\n", j.ID, dash(j.Name), j.State, millisDuration(j.Duration))
	}
	w.printf("\n5. Checkpoints:\n")
	if len(jobs) == 0 {
		w.printf("   no jobs\n")
	}
	for _, j := range jobs {
		var cs checkpointStats
		if _, err := c.do(ctx, http.MethodGet, "/jobs/"+url.PathEscape(j.ID)+"/checkpoints", nil, &cs); err != nil {
			w.printf("   %s: (%s)\n", j.ID, shortErr(err))
			continue
		}
		w.printf("   %s: completed %d, failed %d, in progress %d\n", j.ID, cs.Counts.Completed, cs.Counts.Failed, cs.Counts.InProgress)
		if l := cs.Latest.Completed; l != nil {
			w.printf("     latest: id %d at %s, %d bytes", l.ID, millisTime(l.LatestAckTimestamp), l.StateSize)
			if l.ExternalPath != "" {
				w.printf(", %s", l.ExternalPath)
			}
			w.printf("\n")
		}
	}

	// 6. Newest CSV files.
	if *output != "" && *files > 0 {
		w.printf("\n6. Newest CSV files in %s:\n", *output)
		newest, err := newestCSV(*output, *files)
		switch {
		case err != nil:
			w.printf("   (%s)\n", shortErr(err))
		case len(newest) == 0:
			w.printf("   none yet\n")
		}
		for _, f := range newest {
			w.printf("   %s  %d bytes  %s ago\n", f.path, f.size, time.Since(f.mod).Round(time.Second))
		}
	}
	w.printf("\n=== done ===\n")
	return w.err
}

type csvFile struct {
	path string
	size int64
	mod  time.Time
}

// newestCSV lists the n most recently modified committed *.csv files
// under dir (in-progress parts have another suffix).
func newestCSV(dir string, n int) ([]csvFile, error) {
	var all []csvFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".csv") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // renamed or removed since the directory was read
			}
			return err
		}
		all = append(all, csvFile{p, info.Size(), info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].mod.Equal(all[j].mod) {
			return all[i].mod.After(all[j].mod)
		}
		return all[i].path < all[j].path
	})
	if len(all) > n {
		all = all[:n]
	}
	return all, nil
}

// errWriter keeps the first write error so a long report checks it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func without(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func shortErr(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Error()
	}
	if errors.Is(err, errNoCoordinator) {
		return "not reachable"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.Contains(s, "dial") {
		return "not reachable: " + s[i+2:]
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// millisTime formats a Flink epoch-milliseconds time; -1 or 0 is unknown.
func millisTime(ms int64) string {
	if ms <= 0 {
		return "-"
	}
	return time.UnixMilli(ms).Format("2006-01-02 15:04:05")
}

func millisDuration(ms int64) string {
	if ms <= 0 {
		return "-"
	}
	return (time.Duration(ms) * time.Millisecond).Round(time.Second).String()
}
