package htpasswd

import "os"

// stamp identifies one version of a file cheaply: if none of it changed,
// the content is taken as unchanged. The zero stamp means "missing or
// unreadable".
type stamp struct {
	exists   bool
	dev, ino uint64 // a rename puts another file in place
	size     int64
	mtime    int64 // ns
	ctime    int64 // a chmod that makes the file readable again
}

// stamps covers both files of a store.
type stamps struct{ pw, group stamp }

func statFiles(path, group string) stamps {
	st := stamps{pw: statPath(path)}
	if group != "" {
		st.group = statPath(group)
	}
	return st
}

func statPath(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	return stampOf(fi)
}
