package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Unreadable describes err, met reading what at path, for an operator. A
// permission problem says whose process it is and what to do, since
// "permission denied" alone reads like a missing file or a bug, and the
// usual cause is running as another user than the one owning the data
// (sudo, a service account). Anything else is returned as it is: callers
// have their own advice for a missing file. The result still matches
// fs.ErrPermission.
func Unreadable(what, path string, err error) error {
	if !errors.Is(err, fs.ErrPermission) {
		return err
	}
	return fmt.Errorf("%s %s: %w (this process runs as user id %d): run it as the user that owns the file, or change the file's owner or mode",
		what, path, fs.ErrPermission, os.Geteuid())
}
