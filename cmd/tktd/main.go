// Command tktd is tkt's server: the login portal that checks passwords
// against the configured user stores and hands out ticket cookies, with
// health, readiness and metrics endpoints for operations.
//
// It only wires things together: the configuration is internal/config, the
// portal is package web.
package main

import "os"

func main() {
	os.Exit(run(&env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:]))
}
