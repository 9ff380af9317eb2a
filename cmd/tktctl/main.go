// Command tktctl mints, inspects and verifies auth_tkt tickets, revokes
// them, and manages tkt's secrets, users and configuration.
package main

import (
	"os"
)

func main() {
	os.Exit(run(newStreams(os.Stdin, os.Stdout, os.Stderr, os.Getenv), os.Args[1:]))
}
