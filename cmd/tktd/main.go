// Command tktd is tkt's server: the login portal that checks passwords
// against the configured user stores and hands out ticket cookies, with
// health, readiness and metrics endpoints for operations.
//
// It only wires things together: the configuration is internal/config, the
// portal is package web.
package main

import (
	"os"
	"runtime/debug"
)

func main() {
	tuneGC(os.Getenv)
	os.Exit(run(&env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, environ: os.Environ}, os.Args[1:]))
}

// defaultGCPercent replaces Go's 100 unless GOGC says otherwise. tktd's
// live heap is a few MiB, and a proxy's every question or a gate's every
// request leaves garbage behind: at 100 the collector runs thousands of
// times a second under load and takes a fifth of the CPU. At 400 the heap
// may grow to five times the live set, tens of MiB, for a fraction of that.
const defaultGCPercent = 400

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
