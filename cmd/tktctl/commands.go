package main

import "github.com/spf13/cobra"

// subcommands lists tktctl's top-level commands; each file adds its own
// constructor here.
func subcommands(s *streams) []*cobra.Command {
	return []*cobra.Command{
		newMintCmd(s),
		newVerifyCmd(s),
		newInspectCmd(s),
		newSecretCmd(s),
		newUserCmd(s),
		newConfigCmd(s),
		newRevokeCmd(s),
		newSessionCmd(s),
	}
}
