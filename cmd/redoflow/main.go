// Command redoflow is the Oracle LogMiner to CSV change-data-capture
// pipeline: the demo, the standalone job, the Oracle simulator and the
// checker of its output. Run "redoflow help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/redoflow/redoflow/internal/cliexit"
)

// Exit codes.
const (
	exitOK      = cliexit.OK
	exitFailure = cliexit.Failure // the job failed, or verify found differences
	exitUsage   = cliexit.Usage   // bad flags or configuration
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"demo", "run the simulator, its workload and a pipeline writing CSV to ./output/cdc", runDemo},
		{"run", "run the standalone job against DATABASE_* (a real Oracle or redoflow sim)", runJob},
		{"sim", "serve the Oracle simulator to go-ora clients over TCP", runSim},
		{"verify", "check a CSV change log against the truth: every committed change exactly once, and the final tables", runVerify},
		{"jobs", "list the cluster's jobs (coordinator REST API)", runJobs},
		{"savepoint", "trigger a savepoint of JOB and wait for it; --cancel stops the job after it", runSavepoint},
		{"cancel", "cancel JOB and wait until it is CANCELED", runCancel},
		{"status", "the cluster at a glance: leader, workers, slots, jobs, checkpoints, newest CSV files", runStatus},
		{"health", "probe a URL or TCP port and exit 0 (healthy) or 1: the container health check", runHealth},
	}
}

// usageError is a bad flag or setting: exit code 2.
type usageError = cliexit.UsageError

func usageErr(err error) error { return usageError{Err: err} }

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: redoflow <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun redoflow <command> -h for the flags of a command.")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(realMain(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		return cliexit.Code(ctx, "redoflow "+c.name, c.run(ctx, args[1:], stdout, stderr), stderr)
	}
	fmt.Fprintf(stderr, "redoflow: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

// newFlags returns a flag set whose errors become usage errors.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("redoflow "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		return usageErr(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	return nil
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
