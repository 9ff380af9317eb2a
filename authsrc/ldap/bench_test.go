package ldap

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/tkt-sso/tkt/authsrc"
)

// BenchmarkAuthenticate measures a whole login against a real slapd on
// loopback: connect, search, bind, group search, close. "ldap" is the
// search-then-bind layout with a service account and groupOfNames; the
// others show what each variation costs.
func BenchmarkAuthenticate(b *testing.B) {
	srv := startSlapd(b, testLDIF())
	quiet := func(c Config) Config { c.Logger = slog.New(slog.DiscardHandler); return c }
	for _, bc := range []struct {
		name     string
		cfg      Config
		user, pw string
		wantErr  error
	}{
		{"ldap", quiet(searchConfig(b, srv)), "bob", "Bob-pw-2", nil},
		{"ldap-direct", quiet(directConfig(b, srv)), "bob", "Bob-pw-2", nil},
		{"ldap-starttls", func() Config {
			c := quiet(searchConfig(b, srv))
			c.StartTLS, c.CAFile = true, srv.CAFile
			return c
		}(), "bob", "Bob-pw-2", nil},
		{"ldap-wrong-password", quiet(searchConfig(b, srv)), "bob", "wrong", authsrc.ErrInvalidCredentials},
		{"ldap-unknown-user", quiet(searchConfig(b, srv)), "nobody", "wrong", authsrc.ErrInvalidCredentials},
	} {
		b.Run(bc.name, func(b *testing.B) {
			src := newSource(b, bc.cfg)
			ctx := context.Background()
			for b.Loop() {
				if _, err := src.Authenticate(ctx, bc.user, bc.pw); !errors.Is(err, bc.wantErr) {
					b.Fatalf("Authenticate = %v, want %v", err, bc.wantErr)
				}
			}
		})
	}
}
