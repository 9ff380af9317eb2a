package htpasswd

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// keepOwner gives f the owner and group of fi's file, so that whoever
// else reads the file (Apache, as its group) still can after the swap.
// It fails, and the file is not replaced, when tktd may not give them.
func keepOwner(f *os.File, fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uint32(os.Geteuid()) == st.Uid && uint32(os.Getegid()) == st.Gid {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}

// swapIn puts tmp in place of path, which must still be the file stamped
// read. The exchange is atomic; the file that comes out is checked, and
// put back if someone replaced or rewrote it since it was read.
func swapIn(tmp, path string, read stamp) error {
	if statPath(path) != read {
		return errStale
	}
	return exchange(tmp, path, read)
}

// exchange swaps tmp and path, and back again if the file that came out
// of path is not the one stamped read.
func exchange(tmp, path string, read stamp) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		// A file system without exchange (some network and overlay
		// ones): the check above is the last word.
		return os.Rename(tmp, path)
	}
	if err != nil {
		return err
	}
	if sameFile(statPath(tmp), read) {
		return os.Remove(tmp) // the old file, swapped out
	}
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE); err != nil {
		return err
	}
	os.Remove(tmp) // ours, swapped back out
	return errStale
}
