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
	truth := fs.String("truth", "", "the directory of <SCHEMA>.<TABLE>.csv final contents")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *truth == "" {
		return usageErr(errors.New("--truth is required"))
	}
	rep, err := verify.Run(*output, *truth)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, rep)
	if !rep.OK() {
		return errors.New("the output does not match the truth")
	}
	return nil
}
