package main

import (
	"context"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/tkt-sso/tkt/authsrc/mfa"
)

// TestUserPasskey lists and removes passkeys as an administrator does for
// a user who lost a device: by the ids the list shows, or a prefix of
// them, or all; a user left without factors loses the recovery codes.
func TestUserPasskey(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// carol has TOTP's recovery codes and three passkeys, then no TOTP.
	enrolled(t, runTktctl(t, nil, "", "user", "totp", "enroll", "carol", "--data-dir", dir))
	m := dataDirFactors(t, dir)
	var ids []string
	for i, tr := range [][]protocol.AuthenticatorTransport{{"usb"}, {"internal", "hybrid"}, nil} {
		c := &webauthn.Credential{ID: []byte{'c', byte(i)}, PublicKey: []byte("pk"), Transport: tr}
		if err := m.AddPasskey(ctx, "carol", c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, mfa.PasskeyID(c.ID))
	}
	if r := runTktctl(t, nil, "", "user", "totp", "remove", "carol", "--data-dir", dir); r.Code != 0 || !strings.Contains(r.Out, "tktctl user passkey remove carol --all") {
		t.Fatalf("totp remove: %+v", r)
	}

	r := runTktctl(t, nil, "", "user", "passkey", "list", "carol", "--data-dir", dir)
	lines := strings.Split(strings.TrimSpace(r.Out), "\n")
	if r.Code != 0 || len(lines) != 3 {
		t.Fatalf("list: %+v", r)
	}
	for _, want := range []string{ids[0][:16] + "  added ", "  usb", "  internal,hybrid", ids[2][:16]} {
		if !strings.Contains(r.Out, want) {
			t.Errorf("list lacks %q: %q", want, r.Out)
		}
	}

	for _, c := range []struct {
		args   string
		code   int
		out    string
		errHas string
	}{
		{"remove carol " + ids[0][:8], 0, "removed 1 passkey(s) of carol\n", ""},
		{"remove carol " + ids[0][:8], 1, "", "no passkey " + ids[0][:8]},
		{"remove carol " + ids[1][:7], 2, "", "at least 8"},
		{"remove carol", 2, "", "or --all"},
		{"remove carol --all " + ids[1], 2, "", "or --all"},
		{"list nobody", 0, "", "nobody has no passkeys"},
		{"remove nobody --all", 1, "", "nobody has no passkeys"},
		{"remove bad!name --all", 2, "", "'!'"},
		{"frob", 2, "", "unknown command"},
		{"remove carol " + strings.ToUpper(ids[1]), 0, "removed 1 passkey(s) of carol\n", ""},
		{"remove carol --all", 0, "removed 1 passkey(s) of carol\ncarol has no second factor left: the recovery codes are removed too\n", ""},
	} {
		args := append([]string{"user", "passkey"}, strings.Fields(c.args)...)
		r := runTktctl(t, nil, "", append(args, "--data-dir", dir)...)
		if r.Code != c.code || r.Out != c.out || !strings.Contains(r.Err, c.errHas) {
			t.Errorf("tktctl user passkey %s: %+v; want exit %d, stdout %q, stderr with %q", c.args, r, c.code, c.out, c.errHas)
		}
	}
	if s, _ := m.Status(ctx, "carol"); s.Any() || s.Recovery != 0 {
		t.Errorf("status after removing every passkey: %+v", s)
	}
}
