// Command tktctl mints, inspects and verifies auth_tkt tickets, revokes
// them, and manages tkt's secrets, users and configuration.
package main

import (
	"os"
)

func main() {
	s := newStreams(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	s.environ = os.Environ
	os.Exit(run(s, os.Args[1:]))
}
