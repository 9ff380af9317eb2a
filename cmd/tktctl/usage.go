package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// isCobraUsageError recognises the errors cobra returns for an unknown
// command or a wrong number of arguments (it has no typed errors for them).
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "received ", "invalid argument", "unknown flag", "unknown shorthand flag", "flag needs an argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// helpOrUnknown is the RunE of a command that only groups others: with no
// argument it shows its help; with one, the argument names a subcommand
// that is not there, which is a usage error (exit 2), not a help page
// that exits 0 and lets a script go on.
func helpOrUnknown(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return cmd.Help()
}
