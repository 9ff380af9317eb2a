package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/tkt-sso/tkt/internal/config"
)

// version is set at link time: go build -ldflags "-X main.version=v1.2.3".
// Without it the module version from the build info is used.
var version string

// env is everything tktd touches outside its flags, so commands run
// in-process in tests.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// environ lists the environment as os.Environ does, for the check of
	// mistyped TKT_ variables; nil for none.
	environ func() []string
}

func (e *env) environList() []string {
	if e.environ == nil {
		return nil
	}
	return e.environ()
}

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // tktd could not start or stopped on an error
	exitConfig = 2 // bad flags, arguments or configuration
)

// configError is a configuration that does not load; run prints each of
// its problems on a line of its own.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "tktd",
		Short: "tkt's single-sign-on login portal",
		Long: `tktd is tkt's login portal. It checks passwords against the configured user
stores and hands out signed ticket cookies that Apache mod_auth_tkt and tkt's
validators accept.

Start it with "tktd serve": without a configuration file it listens on
` + config.DefaultListen + ` with a SQLite user store and a generated secret in ` + config.DefaultDataDir + `.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
	}
	root.SetVersionTemplate("tktd {{.Version}}\n")
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &configError{err} })
	root.AddCommand(newServeCmd(e), newGateCmd(e))
	return root
}

func run(e *env, args []string) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return exitOK
	}
	var ce *configError
	if errors.As(err, &ce) {
		probs := config.Problems(ce.err)
		if len(probs) == 1 {
			fmt.Fprintln(e.stderr, "tktd:", probs[0])
		} else {
			fmt.Fprintf(e.stderr, "tktd: the configuration has %d problems:\n", len(probs))
			for _, p := range probs {
				fmt.Fprintln(e.stderr, "  "+p.Error())
			}
		}
		return exitConfig
	}
	fmt.Fprintln(e.stderr, "tktd:", err)
	return exitFailed
}

// versionString is the version, the commit when the build recorded it, and
// the Go release.
func versionString() string {
	v, rev := versionInfo()
	if rev != "" {
		v += " (" + rev + ")"
	}
	return v + " " + runtime.Version()
}

// versionInfo is the version set at link time, else the module's, else
// "devel"; and the commit, with "+dirty" for a modified tree, when the
// build recorded it.
func versionInfo() (v, rev string) {
	v = version
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		dirty := ""
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision":
				rev = s.Value[:min(12, len(s.Value))]
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = "+dirty"
			}
		}
		if rev != "" {
			rev += dirty
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	return v, rev
}
