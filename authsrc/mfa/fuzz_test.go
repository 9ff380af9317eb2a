package mfa_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tkt-sso/tkt/authsrc/mfa"
)

// FuzzVerify feeds Verify's parsing of a typed code (TOTP digits or a
// recovery code, in any case and grouping) anything: it must answer
// ErrWrongCode, never panic or accept.
func FuzzVerify(f *testing.F) {
	for _, s := range []string{"123456", "ABCD-EFGH-JKMN-PQRS", "abcd efgh jkmn pqrs", "", "-", "１２３４５６", "0O1I-LLLL-LLLL-LLLL"} {
		f.Add(s)
	}
	m, _, _ := newManager(f)
	f.Fuzz(func(t *testing.T, typed string) {
		if _, err := m.Verify(context.Background(), "alice", typed); !errors.Is(err, mfa.ErrWrongCode) {
			t.Errorf("Verify(%q) = %v", typed, err)
		}
	})
}
