// Package mfatest gives tests a real factor store: tkt's SQLite schema in
// a temporary directory and a fresh factor key, behind an mfa.Manager.
package mfatest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc/mfa"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// New returns a Manager over a fresh SQLite factor database, closed when
// the test ends, with issuer and clock now (nil: time.Now), and the store.
func New(tb testing.TB, issuer string, now func() time.Time) (*mfa.Manager, *sqlstore.Store) {
	tb.Helper()
	st, err := sqlstore.OpenDataDir(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	key, err := mfa.EnsureKeyFile(filepath.Join(tb.TempDir(), mfa.KeyFileName))
	if err != nil {
		tb.Fatal(err)
	}
	m, err := mfa.New(mfa.Config{Store: st, Key: key, Issuer: issuer, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	return m, st
}

// WrongCode is six digits that are none of codes: a code no step near
// now accepts.
func WrongCode(codes ...string) string {
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !strings.Contains(strings.Join(codes, ","), c) {
			return c
		}
	}
	return "444444"
}
