package main

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/ticket"
)

// tktdSecret is the secret of the tktd data directories below.
const tktdSecret = "tktd's generated secret, 0123456789abcdef"

// tktdDataDir is a data directory as tktd serve leaves it (its secret,
// mode 0600), and a ticket of alice that tktd would issue there to a
// browser at 127.0.0.1: hmac-sha256, bound to the address, now.
func tktdDataDir(t *testing.T) (dir, value string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "tkt-data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	testenv.WriteFile(t, filepath.Join(dir, "secret"), tktdSecret+"\n", 0o600)
	m := ticket.Minter{Digest: ticket.HMACSHA256, Secret: tktdSecret}
	value, err := m.MintCookie(ticket.Ticket{UID: "alice", Tokens: "staff", Time: time.Now()}, netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, value
}

// verify --data-dir checks a ticket as the tktd that issued it does; what
// fails says what was tried and what to pass instead.
func TestVerifyTktdDataDir(t *testing.T) {
	dir, value := tktdDataDir(t)
	if r := runTktctl(t, nil, "", "verify", "--data-dir", dir, "--ip", "127.0.0.1", value); r.Code != 0 || !strings.Contains(r.Out, `valid ticket for "alice"`) {
		t.Errorf("tktd's ticket with its data directory and address: %+v", r)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no --ip", []string{"--data-dir", dir}, []string{
			"tried: digest hmac-sha256, client address 0.0.0.0", "from the settings of tktd's defaults with data directory " + dir, "pass --ip ADDRESS"}},
		{"another address", []string{"--data-dir", dir, "--ip", "10.0.0.1"}, []string{
			"client address 10.0.0.1", "another address than 10.0.0.1", "with --ip"}},
		{"the secret file alone, as the README once said", []string{"--secret-file", filepath.Join(dir, "secret")}, []string{
			"tried: digest md5, client address 0.0.0.0", "fits sha256 or hmac-sha256, not md5: pass --digest sha256 or --digest hmac-sha256",
			"pass --ip ADDRESS", "pass --config FILE or --data-dir DIR"}},
	} {
		r := runTktctl(t, nil, "", append(append([]string{"verify"}, tc.args...), value)...)
		if r.Code != 1 {
			t.Errorf("%s: exit %d, want 1", tc.name, r.Code)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.Err, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.name, w, r.Err)
			}
		}
	}
	if r := runTktctl(t, nil, "", "verify", "--data-dir", filepath.Join(dir, "none"), value); r.Code != 1 || !strings.Contains(r.Err, filepath.Join(dir, "none", "secret")) {
		t.Errorf("a data directory without a secret: %+v", r)
	}
}

// verify --config takes the configuration's ticket settings; the flags
// given as well win over them.
func TestVerifyTktdConfig(t *testing.T) {
	dir := t.TempDir()
	secret := testenv.WriteFile(t, filepath.Join(dir, "secret"), tktdSecret+"\n", 0o600)
	cfg := testenv.WriteFile(t, filepath.Join(dir, "tktd.yaml"),
		"ticket: {secret_file: "+secret+", digest: sha256, ignore_ip: true, timeout: 8h, tokens: [staff]}\n", 0o600)
	m := ticket.Minter{Digest: ticket.SHA256, Secret: tktdSecret}
	value, err := m.MintCookie(ticket.Ticket{UID: "bob", Tokens: "staff", Time: time.Now().Add(-5 * time.Hour)}, netip.IPv4Unspecified())
	if err != nil {
		t.Fatal(err)
	}
	if r := runTktctl(t, nil, "", "verify", "--config", cfg, value); r.Code != 0 {
		t.Errorf("with the configuration's digest, ignore_ip and 8h timeout: %+v", r)
	}
	if r := runTktctl(t, nil, "", "verify", "--config", cfg, "--timeout", "1h", value); r.Code != 1 || !strings.Contains(r.Err, "expired") {
		t.Errorf("--timeout over the configuration's: %+v", r)
	}
	if r := runTktctl(t, nil, "", "verify", "--config", cfg, "--token", "admin", value); r.Code != 1 || !strings.Contains(r.Err, "token") {
		t.Errorf("--token over the configuration's: %+v", r)
	}
	if r := runTktctl(t, nil, "", "verify", "--config", cfg, "--secret", "another secret, 0123456789abcdef", value); r.Code != 1 || !strings.Contains(r.Err, "bad ticket signature") {
		t.Errorf("--secret over the configuration's: %+v", r)
	}
	// A pasted cookie pair under the configuration's cookie name, with
	// verify and with inspect.
	named := testenv.WriteFile(t, filepath.Join(dir, "named.yaml"),
		"cookie: {name: sso}\nticket: {secret_file: "+secret+", digest: sha256, ignore_ip: true, timeout: 8h}\n", 0o600)
	if r := runTktctl(t, nil, "", "verify", "--config", named, "Cookie: a=b; sso="+value+"; c=d"); r.Code != 0 {
		t.Errorf("a pasted Cookie header with the configuration's cookie name: %+v", r)
	}
	if r := runTktctl(t, nil, "", "inspect", "--config", named, "sso="+value+";"); r.Code != 0 || !strings.Contains(r.Out, `"bob"`) {
		t.Errorf("inspect of a pasted pair with the configuration's cookie name: %+v", r)
	}
	bad := testenv.WriteFile(t, filepath.Join(dir, "bad.yaml"), "ticket: {digest: sha1}\n", 0o600)
	if r := runTktctl(t, nil, "", "verify", "--config", bad, value); r.Code != 1 || !strings.Contains(r.Err, "ticket.digest") {
		t.Errorf("a bad configuration: %+v", r)
	}
}

// mint --data-dir mints what that tktd takes; inspect --data-dir says
// whether the ticket fits its digest and when its timeout ends it.
func TestMintInspectTktdDataDir(t *testing.T) {
	dir, _ := tktdDataDir(t)
	r := runTktctl(t, nil, "", "mint", "--data-dir", dir, "--user", "carol", "--ip", "127.0.0.1")
	if r.Code != 0 {
		t.Fatalf("mint: %+v", r)
	}
	value := strings.TrimSpace(r.Out)
	v, err := ticket.NewVerifier(ticket.Config{Digest: ticket.HMACSHA256, Secret: tktdSecret, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := v.Verify(value, netip.MustParseAddr("127.0.0.1"), time.Now()); err != nil || res.UID != "carol" {
		t.Errorf("the minted ticket at tktd's settings: %+v, %v", res, err)
	}

	r = runTktctl(t, nil, "", "inspect", "--data-dir", dir, "--json", value)
	var got inspectJSON
	if err := json.Unmarshal([]byte(r.Out), &got); err != nil || r.Code != 0 {
		t.Fatalf("inspect --json: %+v %v", r, err)
	}
	if got.TktdDigest != "hmac-sha256" || got.DigestFits == nil || !*got.DigestFits || !strings.Contains(got.Expires, "ticket.timeout 2h0m0s") {
		t.Errorf("inspect with tktd's settings: %+v", got)
	}
	md5 := runTktctl(t, map[string]string{"TKT_SECRET": tktdSecret}, "", "mint", "--user", "carol")
	r = runTktctl(t, nil, "", "inspect", "--data-dir", dir, strings.TrimSpace(md5.Out))
	if r.Code != 0 || !strings.Contains(r.Out, "digest hmac-sha256 does NOT fit") {
		t.Errorf("inspect of an md5 ticket with tktd's settings: %+v", r)
	}
}
