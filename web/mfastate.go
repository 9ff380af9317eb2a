package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

// mfaStateTTL is how long the code page of a login stays good after the
// password: long enough to find a phone, short enough that a state copied
// from a shared screen's history is of no use.
const mfaStateTTL = 5 * time.Minute

// maxMFAState bounds the state field read from a form.
const maxMFAState = 8 << 10

// mfaState carries a login from its password step to its code step, in a
// hidden field of the code page: who passed the password (with what the
// store said of them, so the code step asks no store), from which client,
// when, and whether the code confirms an enrollment. It is signed with a
// key derived from the ticket secret and lives mfaStateTTL: nobody can
// make one without the password step, change the user in it, or take it
// to another client address. It is no cookie, so it does not outlive the
// page, and it says nothing secret (the ticket will say the same).
type mfaState struct {
	User   string `json:"u"`
	Tokens string `json:"k,omitempty"`
	Data   string `json:"d,omitempty"`
	Client string `json:"ip"`
	At     int64  `json:"t"`
	Enroll bool   `json:"e,omitempty"`
	Nonce  string `json:"n"`
	// Ceremony is a passkey ceremony's server side (go-webauthn's
	// SessionData), when the state is for one.
	Ceremony json.RawMessage `json:"w,omitempty"`
	// Discoverable marks a passkey sign-in from the login form: no user
	// yet, the passkey will say whose it is.
	Discoverable bool `json:"s,omitempty"`
}

var errMFAState = errors.New("the sign-in step is expired or not valid")

// mfaStateKey is the state's MAC key: the ticket secret's, under its own
// label, so a state can never pass for anything else signed with it.
func mfaStateKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("tkt mfa login state v1"))
	return m.Sum(nil)
}

// sign is the state as the form carries it: payload.mac, both base64url.
func (st mfaState) sign(key []byte) string {
	if st.Nonce == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		st.Nonce = base64.RawURLEncoding.EncodeToString(b)
	}
	payload, _ := json.Marshal(st) // strings, an int and a bool: never fails
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(stateMAC(key, p))
}

func stateMAC(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// parseMFAState checks a state from a form: its MAC (in constant time),
// its age at now, and that it was made for client.
func parseMFAState(raw string, key []byte, client netip.Addr, now time.Time) (mfaState, error) {
	if len(raw) > maxMFAState {
		return mfaState{}, errMFAState
	}
	p, sig, ok := strings.Cut(raw, ".")
	if !ok {
		return mfaState{}, errMFAState
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, stateMAC(key, p)) {
		return mfaState{}, errMFAState
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return mfaState{}, errMFAState
	}
	var st mfaState
	if err := json.Unmarshal(payload, &st); err != nil {
		return mfaState{}, errMFAState
	}
	at := time.Unix(st.At, 0)
	named := ticket.CheckUID(st.User) == nil
	if now.Sub(at) > mfaStateTTL || at.Sub(now) > time.Minute || st.Client != client.String() ||
		named == st.Discoverable || st.Discoverable && len(st.Ceremony) == 0 {
		return mfaState{}, errMFAState
	}
	return st, nil
}
