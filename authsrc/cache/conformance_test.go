package cache

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/authsrctest"
)

// TestConformance runs the shared suite with the cache in front of memStore
// (see there for why a fake store is acceptable here): cold, so every answer
// comes through the cache's miss path; warm, so the good-password logins are
// hits; and with a negative cache; with the entries in memory and on Redis.
func TestConformance(t *testing.T) {
	users := []authsrctest.User{
		{Name: "alice", Password: "alice-pw", Groups: []string{"admins", "staff"}, Data: "Alice A.", CheckData: true},
		{Name: `o*()\,=+<>#;"'x`, Password: `p*()\,=+<>#;"'w`, Groups: []string{}},
		{Name: "Jürgen Ñoño 日本", Password: "pässwörd ✓", Groups: []string{"ünïcode"}},
		{Name: strings.Repeat("l", authsrc.MaxUserLen), Password: strings.Repeat("p", authsrc.MaxPasswordLen)},
	}
	tests := []struct {
		name string
		cfg  Config
		warm bool
	}{
		{name: "cold", cfg: Config{Context: "mem"}},
		{name: "warm", cfg: Config{Context: "mem"}, warm: true},
		{name: "negative", cfg: Config{Context: "mem", NegativeTTL: 10 * time.Second, MaxEntries: 3}, warm: true},
	}
	forEachStore(t, func(t *testing.T, shared func(*testing.T) Shared) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				authsrctest.Run(t, func(t *testing.T) authsrctest.Fixture {
					m := map[string]memUser{}
					for _, u := range users {
						m[u.Name] = memUser{password: u.Password, groups: u.Groups, data: u.Data}
					}
					if shared != nil {
						tt.cfg.Shared = shared(t)
					}
					c := New(newMemStore(m), tt.cfg)
					if tt.warm {
						for _, u := range users {
							if _, err := c.Authenticate(context.Background(), u.Name, u.Password); err != nil {
								t.Fatalf("warming %q: %v", u.Name, err)
							}
						}
					}
					return authsrctest.Fixture{
						Source: c,
						Users:  users,
						Down: func(t *testing.T) authsrc.Source {
							down := newMemStore(m)
							down.setErr(errDown)
							cfg := tt.cfg
							if shared != nil {
								// Empty: a shared store holds the
								// lookups of the cache above.
								cfg.Shared = shared(t)
							}
							return New(down, cfg)
						},
						DownTimeout: time.Second,
					}
				})
			})
		}
	})
}
