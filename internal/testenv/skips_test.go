package testenv

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestSkipSummary(t *testing.T) {
	saved := skips.by
	skips.by = map[string]int{}
	defer func() { skips.by = saved }()
	if s := skipSummary(); s != "" {
		t.Fatalf("a summary with nothing skipped: %q", s)
	}
	for _, what := range []string{"nginx (Debian package nginx)", "Redis at 127.0.0.1:6379", "nginx (Debian package nginx)"} {
		r := run(t, func(tb testing.TB) { Need(tb, what, os.ErrNotExist) })
		if InCI() {
			return // Need fails there, and records nothing
		}
		if r.skipped == "" {
			t.Fatal("not skipped")
		}
	}
	want := "SKIP ./internal/testenv: 3 test(s) skipped for want of a real server or tool (CI=true makes each a failure): 1 x Redis at 127.0.0.1:6379; 2 x nginx (Debian package nginx)"
	if s := skipSummary(); s != want {
		t.Errorf("got  %q\nwant %q", s, want)
	}
}

// harnesses are the packages whose helpers call Need.
var harnessImport = regexp.MustCompile(`"github.com/tkt-sso/tkt/internal/(apachetest|proxytest|redistest|slapdtest|sqltest)"`)

// TestEveryPackageReportsSkips: a package whose tests can be skipped by
// Need (directly, or through a harness) has a TestMain calling Run, or its
// skips go unseen under go test ./...
func TestEveryPackageReportsSkips(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	needs, runs := map[string]bool{}, map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir, src := filepath.Dir(path), string(b)
		test := strings.HasSuffix(path, "_test.go")
		if test && (strings.Contains(src, "testenv.Need(") || strings.Contains(src, "testenv.LookPath(") || harnessImport.MatchString(src)) {
			needs[dir] = true
		}
		if !test && strings.Contains(src, "testenv.Need(") || !test && strings.Contains(src, "testenv.LookPath(") {
			needs[dir] = true // a harness: its own tests start its server
		}
		if test && strings.Contains(src, "testenv.Run(m)") {
			runs[dir] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for dir := range needs {
		if !runs[dir] && dir != filepath.Join(root, "internal", "testenv") {
			rel, _ := filepath.Rel(root, dir)
			missing = append(missing, rel)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("these packages' tests can be skipped by testenv.Need but have no TestMain calling os.Exit(testenv.Run(m)):\n%s", strings.Join(missing, "\n"))
	}
}

// TestRunSummaryUnderGoTest runs go test on a package with a skipped test
// as the README says to run the tests (a package list, so the go command
// keeps a passing package's output to itself): the summary line shows all
// the same, and again at the next run instead of a cached result.
func TestRunSummaryUnderGoTest(t *testing.T) {
	goBin := LookPath(t, "go", "the Go toolchain")
	want := "SKIP ./internal/testenv/testdata/skipdemo: 1 test(s) skipped for want of a real server or tool (CI=true makes each a failure): 1 x a server that is never there\n"
	for run := range 2 {
		cmd := exec.Command(goBin, "test", "./testdata/skipdemo")
		cmd.Env = append(os.Environ(), "CI=") // the demo's skip is a skip, in CI too
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go test: %v\n%s", err, out)
		}
		if !strings.HasPrefix(string(out), want) || strings.Contains(string(out), "(cached)") {
			t.Errorf("run %d printed:\n%s\nwant first:\n%s", run+1, out, want)
		}
	}
}
