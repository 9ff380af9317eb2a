package htpasswd

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/internal/testenv"
)

var bcrypt4 = []string{"-B", "-C", "4"}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	good := dir + "/good"
	writeWithTool(t, good, []string{"-s"}, account{"alice", "pw-alice"})
	hash := hashWithTool(t, []string{"-m"}, "bob", "pw-bob")
	plain := dir + "/plain"
	writeWithTool(t, plain, []string{"-p"}, account{"carol", "pw-carol"})

	tests := []struct {
		name      string
		cfg       Config
		content   string // written to cfg.Path when set
		wantLine  int    // > 0: a *ParseError on this line
		wantNoExt bool   // errors.Is(err, fs.ErrNotExist)
	}{
		{name: "no path", cfg: Config{}},
		{name: "missing", cfg: Config{Path: dir + "/missing"}, wantNoExt: true},
		{name: "directory", cfg: Config{Path: dir}},
		{name: "no colon", cfg: Config{Path: dir + "/f1"}, content: "# users\nalice:" + hash + "\nbob " + hash + "\n", wantLine: 3},
		{name: "space before colon", cfg: Config{Path: dir + "/f7"}, content: "alice :" + hash + "\n", wantLine: 1},
		{name: "empty user", cfg: Config{Path: dir + "/f2"}, content: ":" + hash + "\n", wantLine: 1},
		{name: "no hash", cfg: Config{Path: dir + "/f3"}, content: "\n\nalice:" + hash + "\nbob:\n", wantLine: 4},
		{name: "unknown format", cfg: Config{Path: dir + "/f4"}, content: "alice:$y$zz$broken$" + hash[6:] + "\n", wantLine: 1},
		{name: "truncated hash", cfg: Config{Path: dir + "/f5"}, content: "alice:" + hash[:len(hash)-5] + "x\n", wantLine: 1},
		{name: "plain without AllowPlain", cfg: Config{Path: plain}, wantLine: 1},
		{name: "line too long", cfg: Config{Path: dir + "/f6"}, content: "alice:" + hash + "\nbob:" + strings.Repeat("a", maxLine) + "\n", wantLine: 2},
		{name: "missing group file", cfg: Config{Path: good, GroupPath: dir + "/nogroups"}, wantNoExt: true},
		{name: "group without colon", cfg: Config{Path: good, GroupPath: dir + "/g1"}, content: "admins alice\n", wantLine: 1},
		{name: "group with comma", cfg: Config{Path: good, GroupPath: dir + "/g2"}, content: "a,b: alice\n", wantLine: 1},
		{name: "unterminated quote", cfg: Config{Path: good, GroupPath: dir + "/g3"}, content: "ok: alice\nadmins: \"alice\n", wantLine: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.content != "" {
				target := tt.cfg.Path
				if tt.cfg.GroupPath != "" {
					target = tt.cfg.GroupPath
				}
				testenv.WriteFile(t, target, tt.content, 0o600)
			}
			s, err := newWithSettle(tt.cfg, 0)
			if err == nil {
				t.Fatalf("New(%+v) = %v, want an error", tt.cfg, s)
			}
			if strings.Contains(err.Error(), hash[6:]) || strings.Contains(err.Error(), "pw-carol") {
				t.Errorf("error %q shows a hash or password", err)
			}
			if tt.wantNoExt != errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %v: errors.Is(fs.ErrNotExist) = %v", err, !tt.wantNoExt)
			}
			if tt.wantLine > 0 {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Line != tt.wantLine || !strings.HasPrefix(err.Error(), pe.File+":") {
					t.Errorf("error %v, want a ParseError on line %d", err, tt.wantLine)
				}
			}
			if tt.cfg.Path != "" && !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q doesn't name the file", err)
			}
		})
	}
	// The same plain file loads when plain text is allowed.
	s := newStore(t, Config{Path: plain, AllowPlain: true})
	if err := login(s, "carol", "pw-carol"); err != nil {
		t.Fatalf("plain text allowed: %v", err)
	}
}

func TestLazyBecomesAvailable(t *testing.T) {
	path := tempPath(t, "htpasswd")
	s := newStore(t, Config{Path: path, Lazy: true, CheckInterval: time.Nanosecond})
	err := login(s, "alice", "pw-alice")
	if !errors.Is(err, authsrc.ErrUnavailable) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("no file: err = %v, want ErrUnavailable wrapping fs.ErrNotExist", err)
	}
	writeWithTool(t, path, bcrypt4, account{"alice", "pw-alice"})
	if err := login(s, "alice", "pw-alice"); err != nil {
		t.Fatalf("file appeared: %v", err)
	}
}

func TestReloadKeepsLastGood(t *testing.T) {
	path := tempPath(t, "htpasswd")
	writeWithTool(t, path, []string{"-m"}, account{"alice", "pw-alice"}, account{"bob", "pw-bob"})
	log, logs := newLogger()
	s := newStore(t, Config{Path: path, Logger: log, CheckInterval: -1})
	bobHash := hashWithTool(t, []string{"-m"}, "bob", "pw-bob")

	steps := []struct {
		name    string
		change  func()
		wantErr bool
		alice   error // alice logging in with pw-alice
		bob     error
	}{
		{"broken line", func() { testenv.WriteFile(t, path, "alice:"+bobHash+"\nbob "+bobHash+"\n", 0o600) }, true, nil, nil},
		{"deleted", func() { os.Remove(path) }, true, nil, nil},
		{"not a regular file", func() { os.Mkdir(path, 0o700) }, true, nil, nil},
		{"good again", func() { os.Remove(path); testenv.WriteFile(t, path, "bob:"+bobHash+"\n", 0o600) }, false, authsrc.ErrInvalidCredentials, nil},
	}
	for _, st := range steps {
		st.change()
		err := s.Reload()
		if (err != nil) != st.wantErr {
			t.Fatalf("%s: Reload() = %v, want error %v", st.name, err, st.wantErr)
		}
		if got := login(s, "alice", "pw-alice"); !errors.Is(got, st.alice) {
			t.Errorf("%s: alice: %v, want %v", st.name, got, st.alice)
		}
		if got := login(s, "bob", "pw-bob"); !errors.Is(got, st.bob) {
			t.Errorf("%s: bob: %v, want %v", st.name, got, st.bob)
		}
	}
	out := logs.String()
	for _, want := range []string{"keeping the last good file", ":2: no ':'", "no such file"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, bobHash[6:]) || strings.Contains(out, "pw-") {
		t.Errorf("log shows a hash or password:\n%s", out)
	}
}

func TestAutomaticCheck(t *testing.T) {
	for _, tt := range []struct {
		name     string
		interval time.Duration
		wantNew  bool
	}{
		{"every 10ms", 10 * time.Millisecond, true},
		{"never", -1, false},
		{"every hour", time.Hour, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t, "htpasswd")
			writeWithTool(t, path, []string{"-s"}, account{"alice", "pw-alice"})
			s := newStore(t, Config{Path: path, CheckInterval: tt.interval})
			_ = login(s, "alice", "pw-alice") // uses up the first check
			writeWithTool(t, path, []string{"-s"}, account{"bob", "pw-bob"})
			time.Sleep(30 * time.Millisecond)
			_ = login(s, "alice", "pw-alice") // this call notices the change
			err := login(s, "bob", "pw-bob")
			if gotNew := err == nil; gotNew != tt.wantNew {
				t.Fatalf("new user after rewrite: err = %v, want loaded %v", err, tt.wantNew)
			}
		})
	}
}

// TestBrokenFileLoggedOnce: a check that finds the same broken file again
// doesn't re-read or re-log it.
func TestBrokenFileLoggedOnce(t *testing.T) {
	path := tempPath(t, "htpasswd")
	writeWithTool(t, path, []string{"-s"}, account{"alice", "pw-alice"})
	log, logs := newLogger()
	s := newStore(t, Config{Path: path, Logger: log, CheckInterval: time.Nanosecond})
	testenv.WriteFile(t, path, "garbage\n", 0o600)
	for range 20 {
		if err := login(s, "alice", "pw-alice"); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "reload failed"); n != 1 {
		t.Fatalf("broken file logged %d times, want once:\n%s", n, logs)
	}
}

// TestSettle: a file modified a moment ago may be mid-write (htpasswd
// truncates and rewrites in place); it is read only once it is quiet.
func TestSettle(t *testing.T) {
	path := tempPath(t, "htpasswd")
	writeWithTool(t, path, []string{"-s"}, account{"alice", "pw-alice"})
	s, err := newWithSettle(Config{Path: path, CheckInterval: time.Nanosecond}, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// Half of a file, as a reader racing htpasswd could see it.
	full := hashWithTool(t, []string{"-s"}, "bob", "pw-bob")
	testenv.WriteFile(t, path, "alice:"+hashWithTool(t, []string{"-s"}, "alice", "pw-alice")+"\n", 0o600)
	if err := login(s, "alice", "pw-alice"); err != nil {
		t.Fatalf("unsettled file: the old table must serve: %v", err)
	}
	if err := login(s, "bob", "pw-bob"); err == nil {
		t.Fatal("file read before it settled")
	}
	testenv.WriteFile(t, path, "alice:"+hashWithTool(t, []string{"-s"}, "alice", "pw-alice")+"\nbob:"+full+"\n", 0o600)
	start := time.Now()
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("Reload of a fresh file returned after %v, before it settled", d)
	}
	if err := login(s, "bob", "pw-bob"); err != nil {
		t.Fatalf("settled file: %v", err)
	}
}

// TestTruncatedWrite: a file cut inside a line (a writer interrupted) is
// refused and the last good one kept.
func TestTruncatedWrite(t *testing.T) {
	path := tempPath(t, "htpasswd")
	writeWithTool(t, path, bcrypt4, account{"alice", "pw-alice"}, account{"bob", "pw-bob"})
	s := newStore(t, Config{Path: path})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	testenv.WriteFile(t, path, string(data[:len(data)-10]), 0o600)
	var pe *ParseError
	if err := s.Reload(); !errors.As(err, &pe) || pe.Line != 2 {
		t.Fatalf("Reload(truncated) = %v, want a ParseError on line 2", err)
	}
	if err := login(s, "bob", "pw-bob"); err != nil {
		t.Fatalf("last good table lost: %v", err)
	}
}

func TestGroupsAreCopies(t *testing.T) {
	dir := t.TempDir()
	writeWithTool(t, dir+"/htpasswd", []string{"-s"}, account{"alice", "pw-alice"})
	testenv.WriteFile(t, dir+"/groups", "b: alice\na: alice\n", 0o600)
	s := newStore(t, Config{Path: dir + "/htpasswd", GroupPath: dir + "/groups"})
	id, err := s.Authenticate(t.Context(), "alice", "pw-alice")
	if err != nil || !slices.Equal(id.Groups, []string{"a", "b"}) || id.User != "alice" {
		t.Fatalf("Authenticate = %+v, %v; want alice in [a b]", id, err)
	}
	id.Groups[0] = "root"
	id, _ = s.Authenticate(t.Context(), "alice", "pw-alice")
	if id.Groups[0] != "a" {
		t.Fatal("a caller's change to Identity.Groups reached the store's table")
	}
}

// TestDummyHash: unknown users are verified against a real hash of the
// file's most common class; timing_test.go measures that every failure
// then takes as long as the slowest class's.
func TestDummyHash(t *testing.T) {
	sha := "{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM="
	b5a := "$2y$05$P6hUC72xJkdV4KEK0bXL9esbBbdYOeFOgNafrExcxoGKKxslrMJ3S"
	b5b := "$2y$05$qKlLZ76r8/.EjDz0ScU4UOnuVMK09tyKgC4oYY9uw0yFfe2hwEDAe"
	b10 := "$2y$10$abcdefghijklmnopqrstuuHIrMEWpUCQe2YqFR3sXwQ75u4od..9q"
	tests := []struct {
		users userTable
		want  string
	}{
		{userTable{}, ""},
		{userTable{"a": sha}, sha},
		{userTable{"a": sha, "b": b5a, "c": b5b, "d": b10}, b5a},
		{userTable{"a": sha, "b": sha, "c": b5b, "d": b10}, sha},
	}
	for _, tt := range tests {
		for range 5 { // map order must not matter
			if got := dummyHash(tt.users); got != tt.want {
				t.Errorf("dummyHash(%v) = %q, want %q", tt.users, got, tt.want)
			}
		}
	}
}
