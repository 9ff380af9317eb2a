package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// streams is everything a command touches outside its flags, so every
// command runs in-process in tests with buffers and a fake environment.
type streams struct {
	in     io.Reader
	out    io.Writer
	err    io.Writer
	getenv func(string) string
	// environ lists the environment as os.Environ does, for config
	// check's look for mistyped TKT_ variables; nil for none.
	environ func() []string
}

func (s *streams) environList() []string {
	if s.environ == nil {
		return nil
	}
	return s.environ()
}

func newStreams(in io.Reader, out, errw io.Writer, getenv func(string) string) *streams {
	return &streams{in: in, out: out, err: errw, getenv: getenv}
}

// Exit codes: scripts rely on them (tktctl verify in particular).
const (
	exitOK      = 0
	exitInvalid = 1 // the command ran and the answer is "no" (invalid ticket) or it failed
	exitUsage   = 2 // bad flags or arguments
)

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as the caller's mistake (exit 2).
func usageError(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "tktctl",
		Short:         "Mint, inspect and verify auth_tkt tickets; revoke them; manage tkt secrets, users and configuration",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	// Flag errors are usage errors: exit 2, like every other CLI.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	for _, c := range subcommands(s) {
		root.AddCommand(c)
	}
	return root
}

// run executes the CLI and maps errors to exit codes.
func run(s *streams, args []string) int {
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(s.err, "tktctl:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// cobra reports unknown commands and bad arguments as plain errors.
	if isCobraUsageError(err) {
		return exitUsage
	}
	return exitInvalid
}
