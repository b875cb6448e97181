package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/redoflow/redoflow/verify"
)

func runVerify(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	output := fs.String("output", "./output/cdc", "the CSV output directory (OUTPUT_PATH)")
	truth := fs.String("truth", "", "the truth directory: _changes/ (the committed change log) and/or <SCHEMA>.<TABLE>.csv final contents, as redoflow sim --truth writes them")
	mode := fs.String("mode", string(verify.ModeAuto), "auto (per-change when the truth has _changes/, final-state when it has table dumps; a truth with _final_scn but no _changes/ is an error), per-change or final-state")
	from := fs.Uint64("from-scn", 0, "per-change: the job's start, for a job started with latest-offset or specific-offset: the transactions committed after this SCN are expected (0: the snapshot rows' SCN, or with none the truth's beginning)")
	to := fs.Uint64("to-scn", 0, "per-change: the last commit SCN the job was to reach, for a run stopped with --until-scn (0: the truth's end)")
	tables := fs.String("tables", "", "SCHEMA.TABLE,... the tables the job captures (DATABASE_TABLES): only they are checked, and per-change counts a transaction's _seq over them, as the job does (empty: every table in the truth)")
	allowUnchecked := fs.Bool("allow-unchecked-snapshot", false, "per-change: pass when a table's snapshot could not be checked (a table without a key that the change log updates before the snapshot); without it that fails")
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
	var only []string
	for t := range strings.SplitSeq(*tables, ",") {
		if t = strings.TrimSpace(t); t != "" {
			only = append(only, t)
		}
	}
	if *tables != "" && len(only) == 0 {
		return usageErr(fmt.Errorf("--tables %q names no table", *tables))
	}
	rep, err := verify.RunWith(*output, *truth, verify.Options{Mode: m, FromSCN: *from, ToSCN: *to, Tables: only, AllowUncheckedSnapshot: *allowUnchecked})
	if errors.Is(err, verify.ErrTable) {
		return usageErr(fmt.Errorf("--tables: %w", err))
	}
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, rep)
	if !rep.OK() {
		return errors.New("the output does not match the truth")
	}
	return nil
}
