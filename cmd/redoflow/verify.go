package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/redoflow/redoflow/verify"
)

func runVerify(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	output := fs.String("output", "./output/cdc", "the CSV output directory (OUTPUT_PATH)")
	truth := fs.String("truth", "", "the truth directory: _changes/ (the committed change log) and/or <SCHEMA>.<TABLE>.csv final contents, as redoflow sim --truth writes them")
	mode := fs.String("mode", string(verify.ModeAuto), "auto (per-change when the truth has _changes/, final-state when it has table dumps), per-change or final-state")
	from := fs.Uint64("from-scn", 0, "per-change: the job's start, for a job started with latest-offset or specific-offset: the transactions committed after this SCN are expected (0: the snapshot rows' SCN, or with none the truth's beginning)")
	to := fs.Uint64("to-scn", 0, "per-change: the last commit SCN the job was to reach, for a run stopped with --until-scn (0: the truth's end)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *truth == "" {
		return usageErr(errors.New("--truth is required"))
	}
	m, err := verify.ParseMode(*mode)
	if err != nil {
		return usageErr(fmt.Errorf("--mode %q: use auto, per-change or final-state", *mode))
	}
	if *to > 0 && *to <= *from {
		return usageErr(fmt.Errorf("--to-scn %d is not after --from-scn %d", *to, *from))
	}
	rep, err := verify.RunWith(*output, *truth, verify.Options{Mode: m, FromSCN: *from, ToSCN: *to})
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, rep)
	if !rep.OK() {
		return errors.New("the output does not match the truth")
	}
	return nil
}
