//go:build !linux

package htpasswd

import "os"

// keepOwner does nothing here: the owner is left to the rename.
func keepOwner(*os.File, os.FileInfo) error { return nil }

// swapIn renames tmp over path if path is still the file stamped read;
// without an atomic exchange, a writer between the check and the rename
// loses its edit.
func swapIn(tmp, path string, read stamp) error {
	if statPath(path) != read {
		return errStale
	}
	return os.Rename(tmp, path)
}
