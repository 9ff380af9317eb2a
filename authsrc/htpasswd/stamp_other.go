//go:build !linux

package htpasswd

import "os"

// stampOf without inode and ctime: a same-size rewrite within the file
// system's mtime resolution goes unnoticed until the next change or Reload.
func stampOf(fi os.FileInfo) stamp {
	return stamp{exists: true, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}
