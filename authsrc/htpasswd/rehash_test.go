package htpasswd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc/pwhash"
	"github.com/tkt-sso/tkt/internal/testenv"
)

// rehashFile is an htpasswd file as people keep them: comments, a blank
// line, a CRLF line, space around a line, a user listed twice, hashes in
// every scheme to upgrade and one already at the cost configured (4).
type rehashFixture struct {
	path      string
	original  []byte
	passwords map[string]string
	hashes    map[string]string // as first written
}

func newRehashFixture(t *testing.T) rehashFixture {
	f := rehashFixture{path: tempPath(t, "htpasswd"), passwords: map[string]string{
		"sha": "pw-sha", "apr": "pw-apr", "costly": "pw-costly", "current": "pw-current",
		"plain": "pw-plain", "long": strings.Repeat("long pw ", 10), // 80 bytes: more than bcrypt takes
	}}
	f.hashes = map[string]string{
		"sha":     hashWithTool(t, []string{"-s"}, "sha", f.passwords["sha"]),
		"apr":     hashWithTool(t, []string{"-m"}, "apr", f.passwords["apr"]),
		"costly":  hashWithTool(t, []string{"-B", "-C", "5"}, "costly", f.passwords["costly"]),
		"current": hashWithTool(t, []string{"-B", "-C", "4"}, "current", f.passwords["current"]),
		"plain":   f.passwords["plain"],
		"long":    hashWithTool(t, []string{"-s"}, "long", f.passwords["long"]),
	}
	var b strings.Builder
	b.WriteString("# managed by tkt\n\n")
	b.WriteString("sha:" + f.hashes["sha"] + "\r\n")
	b.WriteString("  apr:" + f.hashes["apr"] + " \n")
	b.WriteString("costly:" + f.hashes["costly"] + "\n")
	b.WriteString("#apr:commented-out\n")
	b.WriteString("current:" + f.hashes["current"] + "\n")
	b.WriteString("sha:" + hashWithTool(t, []string{"-s"}, "sha", "second line, never read") + "\n")
	b.WriteString("plain:" + f.hashes["plain"] + "\n")
	b.WriteString("long:" + f.hashes["long"]) // no final newline
	f.original = []byte(b.String())
	if err := os.WriteFile(f.path, f.original, 0o640); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRehash: with Rehash on, each user whose hash is not bcrypt at the
// configured cost gets one at their first right password, and nothing
// else in the file changes, byte for byte; Apache's htpasswd verifies the
// new hashes; the store neither reloads nor waits to reload its own write.
func TestRehash(t *testing.T) {
	f := newRehashFixture(t)
	log, logs := newLogger()
	s, err := newWithSettle(Config{Path: f.path, AllowPlain: true, Rehash: true, BcryptCost: 4, Logger: log, CheckInterval: time.Nanosecond}, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // past the settle period of the file as written above

	for user := range f.passwords {
		if err := login(s, user, "wrong"); err == nil {
			t.Fatalf("%s: wrong password accepted", user)
		}
	}
	if got := readFile(t, f.path); !bytes.Equal(got, f.original) {
		t.Fatalf("wrong passwords changed the file:\n%s", got)
	}
	for user, pw := range f.passwords {
		if err := login(s, user, pw); err != nil {
			t.Fatalf("%s: %v", user, err)
		}
	}

	got := readFile(t, f.path)
	now, err := parseUsers(got, f.path, pwhash.Verifier{AllowPlain: true}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	want := f.original
	for _, user := range []string{"sha", "apr", "costly", "plain"} {
		if c := pwhash.Class(now[user]); c != "bcrypt cost 4" {
			t.Errorf("%s: hash now %s, want bcrypt cost 4", user, c)
		}
		want = bytes.Replace(want, []byte(user+":"+f.hashes[user]), []byte(user+":"+now[user]), 1)
		verifyWithApache(t, user, now[user], f.passwords[user])
	}
	if !bytes.Equal(got, want) {
		t.Errorf("file after rehashing:\n%q\nwant every byte but the hashes kept:\n%q", got, want)
	}
	if fi, err := os.Stat(f.path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after rehashing: %v, %v; want 0640", fi.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(f.path), ".htpasswd.tkt-*")); len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}

	for user, pw := range f.passwords {
		if err := login(s, user, pw); err != nil {
			t.Errorf("%s after rehashing: %v", user, err)
		}
	}
	if n := strings.Count(logs.String(), "htpasswd: loaded"); n != 1 {
		t.Errorf("the store loaded %d times, want once: its own writes are live without a reload:\n%s", n, logs)
	}
	start := time.Now()
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d >= 100*time.Millisecond {
		t.Errorf("Reload of the store's own write waited %v, the settle period", d)
	}

	out := logs.String()
	for _, want := range []string{
		`msg="htpasswd: password hash upgraded"`, "user=sha", "from={SHA}", `to="bcrypt cost 4"`,
		"user=apr", "from=apr1-md5", "user=costly", `from="bcrypt cost 5"`, "user=plain", "from=plain",
		`msg="htpasswd: password hash not upgraded"`, "user=long",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "password hash upgraded"); n != 4 {
		t.Errorf("%d upgrades logged, want 4:\n%s", n, out)
	}
	for user, pw := range f.passwords {
		if strings.Contains(out, pw) || strings.Contains(out, now[user][7:]) || (user != "plain" && strings.Contains(out, f.hashes[user])) {
			t.Errorf("log shows %s's password or a hash:\n%s", user, out)
		}
	}
}

// TestRehashOff: without Rehash, the file is somebody else's.
func TestRehashOff(t *testing.T) {
	f := newRehashFixture(t)
	s := newStore(t, Config{Path: f.path, AllowPlain: true})
	for user, pw := range f.passwords {
		if err := login(s, user, pw); err != nil {
			t.Fatalf("%s: %v", user, err)
		}
	}
	if got := readFile(t, f.path); !bytes.Equal(got, f.original) {
		t.Fatalf("the file changed:\n%s", got)
	}
}

// TestRehashKeepsExternalEdit: an edit the store has not loaded yet is
// never overwritten; the hash is upgraded at a login after the edit loads.
func TestRehashKeepsExternalEdit(t *testing.T) {
	f := newRehashFixture(t)
	s := newStore(t, Config{Path: f.path, AllowPlain: true, Rehash: true, BcryptCost: 4, CheckInterval: -1})
	edited := append(bytes.Clone(f.original), []byte("\nnew:"+hashWithTool(t, []string{"-s"}, "new", "pw-new")+"\n")...)
	testenv.WriteFile(t, f.path, string(edited), 0o600)
	if err := login(s, "sha", "pw-sha"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, f.path); !bytes.Equal(got, edited) {
		t.Fatalf("the edit was overwritten:\n%s", got)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := login(s, "sha", "pw-sha"); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, f.path)
	if !bytes.Contains(got, []byte("\nnew:{SHA}")) || bytes.Contains(got, []byte(f.hashes["sha"])) {
		t.Fatalf("after the edit loaded: want sha upgraded and the edit kept:\n%s", got)
	}
}

// TestRehashThroughSymlink: the file a symlink points at is replaced, and
// the symlink stays one (a configuration management layout).
func TestRehashThroughSymlink(t *testing.T) {
	f := newRehashFixture(t)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(f.path, link); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, Config{Path: link, AllowPlain: true, Rehash: true, BcryptCost: 4})
	if err := login(s, "sha", "pw-sha"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v, %v", fi, err)
	}
	if bytes.Contains(readFile(t, f.path), []byte(f.hashes["sha"])) {
		t.Fatal("the target was not rewritten")
	}
}

// TestRehashKeepsOwner: Apache reads the file as its own group, so the new
// file has the old one's owner and group, or is not written at all.
func TestRehashKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another owner needs root")
	}
	f := newRehashFixture(t)
	if err := os.Chown(f.path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, Config{Path: f.path, AllowPlain: true, Rehash: true, BcryptCost: 4})
	if err := login(s, "sha", "pw-sha"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(f.path)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 65534 || st.Gid != 65534 {
		t.Errorf("owner now %d:%d, want 65534:65534", st.Uid, st.Gid)
	}
	if bytes.Contains(readFile(t, f.path), []byte(f.hashes["sha"])) {
		t.Error("not rehashed")
	}
}

// TestRehashWriteFails: a file that can't be written (a read-only file
// system; here, since tests run as root, whom permissions don't stop, the
// file's directory gone from under the loaded store) fails the rehash,
// never the login, and is logged once, not at every login.
func TestRehashWriteFails(t *testing.T) {
	f := newRehashFixture(t)
	log, logs := newLogger()
	s := newStore(t, Config{Path: f.path, AllowPlain: true, Rehash: true, BcryptCost: 4, Logger: log, CheckInterval: -1})
	dir := filepath.Dir(f.path)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	testenv.WriteFile(t, dir, "not a directory", 0o600)
	for _, user := range []string{"sha", "apr", "sha"} {
		if err := login(s, user, f.passwords[user]); err != nil {
			t.Fatalf("%s: %v; a failed rehash must not fail the login", user, err)
		}
	}
	if n := strings.Count(logs.String(), "rehashing off"); n != 1 {
		t.Errorf("failure logged %d times, want once:\n%s", n, logs)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verifyWithApache checks that Apache's own htpasswd -v accepts password
// against hash. The tool, unlike mod_authn_file, keeps a line's trailing
// CR or blanks in the hash, so the hash goes into a clean file of its own.
func verifyWithApache(t testing.TB, user, hash, password string) {
	t.Helper()
	path := tempPath(t, "apache-check")
	testenv.WriteFile(t, path, user+":"+hash+"\n", 0o600)
	out, err := exec.CommandContext(context.Background(), htpasswdTool(t), "-vb", path, user, password).CombinedOutput()
	if err != nil {
		t.Errorf("htpasswd -v %s: %v: %s", user, err, out)
	}
}
