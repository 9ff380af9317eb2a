package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxWatchedEntries bounds the walk of the templates directory: a few
// templates and static files are expected, not a whole site.
const maxWatchedEntries = 1000

// watcher notices changes to the files tktd reloads by polling their size
// and modification time. Polling costs a few stat calls every few seconds,
// works on every file system (network mounts, Kubernetes secret volumes
// whose files are replaced through symlinks) and needs no goroutine of its
// own.
type watcher struct {
	files []string
	dir   string // the templates directory, walked; "" for none
	last  string
}

func newWatcher(files []string, dir string) *watcher {
	w := &watcher{files: files, dir: dir}
	w.last = w.fingerprint()
	return w
}

// changed reports whether anything changed since the last call.
func (w *watcher) changed() bool {
	fp := w.fingerprint()
	if fp == w.last {
		return false
	}
	w.last = fp
	return true
}

func (w *watcher) fingerprint() string {
	var b strings.Builder
	for _, f := range w.files {
		stamp(&b, f)
	}
	if w.dir != "" {
		n := 0
		filepath.WalkDir(w.dir, func(path string, d fs.DirEntry, err error) error {
			if n++; n > maxWatchedEntries {
				return fs.SkipAll
			}
			stamp(&b, path)
			return nil
		})
	}
	return b.String()
}

// stamp writes path's identity: size and modification time, as seen
// through symlinks.
func stamp(b *strings.Builder, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		fmt.Fprintf(b, "%s missing\n", path)
		return
	}
	fmt.Fprintf(b, "%s %d %d\n", path, fi.Size(), fi.ModTime().UnixNano())
}
