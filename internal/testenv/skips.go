package testenv

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// skips counts the tests Need skipped in this test binary, by what they
// lacked, for Run's summary line. It is the binary's own state, shared by
// every test in it, so a package variable is its natural home.
var skips = struct {
	sync.Mutex
	by map[string]int
}{by: map[string]int{}}

func recordSkip(what string) {
	skips.Lock()
	skips.by[what]++
	skips.Unlock()
}

// Run runs a package's tests and prints one line saying how many were
// skipped for want of a real server or tool, and which: go test ./...
// shows nothing else of a passing package, and a skip would go unseen.
// Every package whose tests use Need (directly or through a harness)
// calls it from TestMain: os.Exit(testenv.Run(m)).
func Run(m *testing.M) int {
	code := m.Run()
	if line := skipSummary(); line != "" {
		fmt.Fprintln(summaryOut(), line)
		uncached()
	}
	return code
}

// uncached keeps go test from caching this run's result, so that the
// summary shows at every run, and a server installed since is used at the
// next one: the go command does not see a program appear outside the
// module. It appends a line the go command does not know to the test log
// in which the testing package lists the files and variables the tests
// read (-test.testlogfile, written by then); an unreadable log makes the
// go command leave the result out of its cache. Should the log's format
// change, the result is cached as before, and nothing else happens.
func uncached() {
	f := flag.Lookup("test.testlogfile")
	if f == nil || f.Value.String() == "" {
		return
	}
	log, err := os.OpenFile(f.Value.String(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	defer log.Close()
	log.WriteString("tkt-skipped-for-want-of-a-server " + packageDir() + "\n")
}

// skipSummary is the line Run prints, "" when nothing was skipped.
func skipSummary() string {
	skips.Lock()
	defer skips.Unlock()
	n := 0
	var parts []string
	for _, what := range slices.Sorted(maps.Keys(skips.by)) {
		n += skips.by[what]
		parts = append(parts, strconv.Itoa(skips.by[what])+" x "+what)
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("SKIP %s: %d test(s) skipped for want of a real server or tool (CI=true makes each a failure): %s",
		packageDir(), n, strings.Join(parts, "; "))
}

// packageDir names the package under test as a path from the module's
// root ("./cmd/tktd"): go test runs a test binary in its package's
// directory.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "?"
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel)
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}

// summaryOut is where the summary goes so that a person sees it. go test
// with a list of packages (./...) keeps a passing package's output to
// itself and prints only "ok"; the test binary's parent is then the go
// command, whose own standard output is where its "ok" lines go, so the
// line is written there. Anywhere else (a single package streaming its
// output, -v, -json, the binary run by hand, a system without /proc) it
// goes to the binary's own standard output.
func summaryOut() io.Writer {
	if runtime.GOOS != "linux" {
		return os.Stdout
	}
	if f := flag.Lookup("test.v"); f != nil && f.Value.String() != "false" {
		return os.Stdout // -v streams or keeps it; -json needs it as an event
	}
	proc := "/proc/" + strconv.Itoa(os.Getppid())
	if comm, err := os.ReadFile(proc + "/comm"); err != nil || !strings.HasPrefix(string(comm), "go") {
		return os.Stdout
	}
	parent, err := os.OpenFile(proc+"/fd/1", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return os.Stdout
	}
	pfi, err1 := parent.Stat()
	ofi, err2 := os.Stdout.Stat()
	if err1 != nil || err2 != nil || os.SameFile(pfi, ofi) {
		parent.Close()
		return os.Stdout // the go command streams this binary's output already
	}
	return parent // closed when the binary exits, right after
}
