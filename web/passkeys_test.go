package web

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/ticket"
)

// softPasskey is a passkey held in the test: a P-256 key whose
// assertions the test signs itself, as an authenticator would.
type softPasskey struct {
	id   []byte
	priv *ecdsa.PrivateKey
}

// cose is p's public key as WebAuthn carries it.
func (p softPasskey) cose(t *testing.T) []byte {
	t.Helper()
	b, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256), XCoord: p.priv.X.FillBytes(make([]byte, 32)), YCoord: p.priv.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// registration is the form a browser posts to /account/security for the
// passkey ceremony on page: its state and p as a new credential (no
// attestation, as most passkeys send).
func (p softPasskey) registration(t *testing.T, page string) url.Values {
	t.Helper()
	o := ceremonyOn(t, page)
	rp := sha256.Sum256([]byte(o.PublicKey.RP.ID))
	ad := append(rp[:], 0x45, 0, 0, 0, 0) // user present and verified, attested credential data; counter 0
	ad = append(ad, make([]byte, 16)...)  // no AAGUID
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(p.id)))
	ad = append(append(ad, p.id...), p.cose(t)...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		t.Fatal(err)
	}
	cred, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(p.id), "rawId": b64.EncodeToString(p.id), "type": "public-key",
		"response": map[string]string{"clientDataJSON": b64.EncodeToString(clientData("webauthn.create", o.PublicKey.Challenge)), "attestationObject": b64.EncodeToString(att)},
	})
	return url.Values{"action": {"passkey-finish"}, "state": {o.state}, "credential": {string(cred)}}
}

// newSoftPasskey registers a new passkey of user, its sign count stored
// as count.
func newSoftPasskey(t *testing.T, m *mfa.Manager, user string, count uint32) softPasskey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := softPasskey{id: make([]byte, 16), priv: priv}
	_, _ = rand.Read(p.id)
	c := &webauthn.Credential{ID: p.id, PublicKey: p.cose(t), AttestationType: "none"}
	c.Flags.UserPresent, c.Flags.UserVerified = true, true
	c.Authenticator.SignCount = count
	if err := m.AddPasskey(context.Background(), user, c); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	passkeyOptions = regexp.MustCompile(`data-passkey="(?:get|create)" data-options="([^"]+)">`)
	passkeyState   = regexp.MustCompile(`name="state" value="([^"]+)"`)
)

// ceremony is the passkey ceremony offered on page: its options' challenge
// and relying party, and its state.
type ceremony struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
	} `json:"publicKey"`
	state string
}

func ceremonyOn(t *testing.T, page string) ceremony {
	t.Helper()
	i := strings.Index(page, `class="passkey" data-passkey=`)
	if i < 0 {
		t.Fatalf("no passkey offer:\n%s", page)
	}
	opt := passkeyOptions.FindStringSubmatch(page[i:])
	st := passkeyState.FindStringSubmatch(page[i:])
	if opt == nil || st == nil {
		t.Fatalf("no passkey options or state:\n%s", page)
	}
	var c ceremony
	if err := json.Unmarshal([]byte(html.UnescapeString(opt[1])), &c); err != nil {
		t.Fatal(err)
	}
	c.state = html.UnescapeString(st[1])
	return c
}

var b64 = base64.RawURLEncoding

// clientData is the browser's clientDataJSON for a ceremony of typ.
func clientData(typ, challenge string) []byte {
	cdj, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": "http://" + portalHost})
	return cdj
}

// answer is the form a browser posts to /login/passkey for the passkey
// offer on page: the offer's state and p's assertion of user, signed
// with sign count count.
func (p softPasskey) answer(t *testing.T, page, user string, count uint32) url.Values {
	t.Helper()
	o := ceremonyOn(t, page)
	cdj := clientData("webauthn.get", o.PublicKey.Challenge)
	rp := sha256.Sum256([]byte(o.PublicKey.RPID))
	ad := binary.BigEndian.AppendUint32(append(rp[:], 0x05), count) // user present and verified
	ch := sha256.Sum256(cdj)
	dg := sha256.Sum256(append(append([]byte{}, ad...), ch[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, p.priv, dg[:])
	if err != nil {
		t.Fatal(err)
	}
	assertion, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(p.id), "rawId": b64.EncodeToString(p.id), "type": "public-key",
		"response": map[string]string{
			"clientDataJSON": b64.EncodeToString(cdj), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(mfa.UserHandle(user)),
		},
	})
	return url.Values{"state": {o.state}, "credential": {string(assertion)}, "back": {testBackURL}}
}

// newPasskeyFixture is an mfa portal whose store can look users up, so
// that the login form offers a sign-in with a passkey alone.
func newPasskeyFixture(t *testing.T) *mfaFixture {
	return newMFAFixture(t, func(c *Config) { c.Source = c.Source.(*countingSource).Source })
}

func (f *mfaFixture) passkeyPost(form url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.do(req{method: http.MethodPost, target: "/login/passkey", form: form, cookies: []*http.Cookie{probe()}})
}

// TestPasskeyReplay: a /login/passkey POST captured once (a proxy's log,
// a shared computer's history) and sent again from the same address while
// its state lives signs nobody in, for a passkey that counts its uses and
// for one that does not (synced passkeys send 0): each ceremony's
// challenge is taken once. Both the sign-in with a passkey alone and the
// passkey as second step after the password.
func TestPasskeyReplay(t *testing.T) {
	for _, c := range []struct {
		name  string
		count uint32
		step  bool
	}{{"sign-in, counter 0", 0, false}, {"sign-in, counter 7", 7, false}, {"second step, counter 0", 0, true}, {"second step, counter 7", 7, true}} {
		t.Run(c.name, func(t *testing.T) {
			f := newPasskeyFixture(t)
			p := newSoftPasskey(t, f.m, "alice", 0)
			var page string
			if c.step {
				page = f.login("alice", alicePass, testBackURL).Body.String()
			} else {
				page = f.do(req{target: "/login"}).Body.String()
			}
			form := p.answer(t, page, "alice", c.count)
			w := f.passkeyPost(form)
			if tk := f.issued(w); tk.UID != "alice" || !strings.Contains(string(tk.Tokens.Groups()), "mfa") {
				t.Fatalf("first submission: ticket %+v, want alice with mfa", tk)
			}
			for i := range 2 {
				f.now = f.now.Add(60e9) // a minute later, well within the state's life
				w := f.passkeyPost(form)
				if w.Code != http.StatusUnauthorized || setCookie(w, "auth_tkt") != nil {
					t.Errorf("replay %d: %d, ticket %v; want 401 and none", i+1, w.Code, setCookie(w, "auth_tkt"))
				}
			}
			if !strings.Contains(f.logs.String(), "its challenge was used already") {
				t.Errorf("the replay is not logged as one:\n%s", f.logs)
			}
		})
	}
}

// TestPasskeyCloneWarning: an assertion whose sign count does not go past
// the stored one (two authenticators answer for one credential) is
// refused and logged; the next count up is accepted.
func TestPasskeyCloneWarning(t *testing.T) {
	f := newPasskeyFixture(t)
	p := newSoftPasskey(t, f.m, "alice", 10)
	for _, c := range []struct {
		count uint32
		want  int
	}{{7, http.StatusUnauthorized}, {10, http.StatusUnauthorized}, {11, http.StatusSeeOther}} {
		w := f.passkeyPost(p.answer(t, f.do(req{target: "/login"}).Body.String(), "alice", c.count))
		if w.Code != c.want || (setCookie(w, "auth_tkt") != nil) != (c.want == http.StatusSeeOther) {
			t.Errorf("sign count %d: %d, ticket %v; want %d", c.count, w.Code, setCookie(w, "auth_tkt") != nil, c.want)
		}
	}
	if !strings.Contains(f.logs.String(), "its sign count did not go up") {
		t.Errorf("the clone is not logged:\n%s", f.logs)
	}
	ps, err := f.m.Passkeys(context.Background(), "alice")
	if err != nil || len(ps) != 1 || ps[0].Credential.Authenticator.SignCount != 11 || ps[0].Credential.Authenticator.CloneWarning {
		t.Errorf("stored passkey = %+v, %v; want sign count 11, no warning", ps, err)
	}
}

// TestPasskeyRegisteredOnce: a credential id already registered, to its
// user or another, is refused: a sign-in by it could otherwise find
// either owner.
func TestPasskeyRegisteredOnce(t *testing.T) {
	f := newPasskeyFixture(t)
	p := newSoftPasskey(t, f.m, "alice", 0)
	for _, user := range []string{"alice", "mallory"} {
		err := f.m.AddPasskey(context.Background(), user, &webauthn.Credential{ID: p.id, PublicKey: []byte("other key")})
		if !errors.Is(err, mfa.ErrPasskeyExists) {
			t.Errorf("AddPasskey of alice's credential for %s = %v, want ErrPasskeyExists", user, err)
		}
	}
	if owner, err := f.m.PasskeyOwner(context.Background(), p.id); err != nil || owner != "alice" {
		t.Errorf("PasskeyOwner = %q, %v; want alice", owner, err)
	}
	w := f.passkeyPost(p.answer(t, f.do(req{target: "/login"}).Body.String(), "alice", 0))
	if tk := f.issued(w); tk.UID != "alice" {
		t.Errorf("sign-in: ticket %+v, want alice's", tk)
	}
}

// TestPasskeyRegistrationOnce: at /account/security, a captured
// passkey-finish POST posted again is refused (its ceremony was used),
// and a credential registered already cannot be added by another user
// through a ceremony of their own.
func TestPasskeyRegistrationOnce(t *testing.T) {
	f := newPasskeyFixture(t)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := softPasskey{id: []byte("a credential of sixteen+ bytes"), priv: priv}
	post := func(user string, form url.Values) *httptest.ResponseRecorder {
		// alice has a TOTP factor: her ticket must carry its token.
		cookie := f.ticketFor(ticket.Ticket{UID: user, Tokens: "mfa"}, testSecret)
		return f.do(req{method: http.MethodPost, target: "/account/security", form: form, cookies: []*http.Cookie{ticketCookie(cookie)}})
	}
	add := func(user, pass string) url.Values {
		return p.registration(t, post(user, url.Values{"action": {"passkey"}, "password": {pass}}).Body.String())
	}
	form := add("bob", bobPass)
	if w := post("bob", form); w.Code != http.StatusOK || !f.issued(w).Tokens.Has("mfa") {
		t.Fatalf("bob adds a passkey: %d\n%s", w.Code, w.Body.String())
	}
	if w := post("bob", form); w.Code != http.StatusBadRequest {
		t.Errorf("the same passkey-finish again: %d, want 400", w.Code)
	}
	if !strings.Contains(f.logs.String(), "its challenge was used already") {
		t.Errorf("the replay is not logged as one:\n%s", f.logs)
	}
	if w := post("alice", add("alice", alicePass)); w.Code != http.StatusBadRequest {
		t.Errorf("alice adds bob's credential: %d, want 400", w.Code)
	}
	if !strings.Contains(f.logs.String(), "registered already") {
		t.Errorf("the credential registered already is not logged:\n%s", f.logs)
	}
	if owner, err := f.m.PasskeyOwner(context.Background(), p.id); err != nil || owner != "bob" {
		t.Errorf("PasskeyOwner = %q, %v; want bob", owner, err)
	}
}

// A portal reached at an IP address (http://127.0.0.1:8080, the
// README's first command) cannot offer passkeys, since WebAuthn takes
// only a domain: the login page leaves them out without a warning on
// every view, and the security page says why a passkey cannot be added
// there instead of blaming the factor store. By its name, the same
// portal offers them.
func TestPasskeysAtIPAddress(t *testing.T) {
	f := newPasskeyFixture(t)
	for _, host := range []string{"127.0.0.1:8080", "[::1]:8080", "192.0.2.7"} {
		w := f.do(req{target: "/login", header: map[string]string{"Host": host}})
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "data-passkey") {
			t.Errorf("login page at %s: %d, passkey offered %v", host, w.Code, strings.Contains(w.Body.String(), "data-passkey"))
		}
	}
	if logs := f.logs.String(); strings.Contains(logs, "level=WARN") {
		t.Errorf("a warning for a portal at an IP address:\n%s", logs)
	}
	if w := f.do(req{target: "/login"}); !strings.Contains(w.Body.String(), "data-passkey") {
		t.Errorf("login page at %s: no passkey offered", portalHost)
	}

	cookie := ticketCookie(f.ticketFor(ticket.Ticket{UID: "bob", Tokens: "mfa"}, testSecret))
	w := f.do(req{method: http.MethodPost, target: "/account/security", header: map[string]string{"Host": "127.0.0.1:8080"},
		form: url.Values{"action": {"passkey"}, "password": {bobPass}}, cookies: []*http.Cookie{cookie}})
	if w.Code != http.StatusBadRequest || reasonOf(w.Body.String()) != string(reasonPasskeyHost) {
		t.Errorf("adding a passkey at an IP address: %d, reason %q; want 400, %q", w.Code, reasonOf(w.Body.String()), reasonPasskeyHost)
	}
	if strings.Contains(f.logs.String(), "factor store failed") {
		t.Errorf("blamed on the factor store:\n%s", f.logs)
	}
}
