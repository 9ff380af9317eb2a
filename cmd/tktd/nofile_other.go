//go:build !unix

package main

// openFileLimit has no per-process file limit to read here; this is a
// conservative stand-in.
func openFileLimit() uint64 { return 8192 }
