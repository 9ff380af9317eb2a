package authsrc_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
)

// passwordOnly is a store that can check passwords but not look users up:
// embedding the interface hides the stub's Lookup.
type passwordOnly struct{ authsrc.Source }

func unknown() *stub { return &stub{err: authsrc.ErrNoSuchUser} }

func TestChainLookup(t *testing.T) {
	tests := []struct {
		name      string
		stores    []authsrc.Source
		want      outcome
		wantGroup string
		wantInErr []string
	}{
		{name: "first knows", stores: []authsrc.Source{accepts("a"), accepts("b")}, want: accepted, wantGroup: "a"},
		{name: "unknown passes on", stores: []authsrc.Source{unknown(), accepts("b")}, want: accepted, wantGroup: "b"},
		{name: "down passes on", stores: []authsrc.Source{down("s0"), accepts("b")}, want: accepted, wantGroup: "b"},
		{name: "nobody knows", stores: []authsrc.Source{unknown(), unknown()}, want: noSuchUser},
		{name: "unknown and down fails closed", stores: []authsrc.Source{unknown(), down("s1")}, want: unavailable, wantInErr: []string{"store1", "connection refused"}},
		{name: "bare error counts as down", stores: []authsrc.Source{&stub{err: errors.New("boom")}, unknown()}, want: unavailable, wantInErr: []string{"boom"}},
		{name: "a wrong-password answer is no answer", stores: []authsrc.Source{rejects()}, want: unavailable},
		{name: "a store that cannot look up fails closed", stores: []authsrc.Source{passwordOnly{accepts("a")}, unknown()}, want: unavailable,
			wantInErr: []string{"store0", authsrc.ErrLookupUnsupported.Error()}},
		{name: "a store that cannot look up is passed over", stores: []authsrc.Source{passwordOnly{accepts("a")}, accepts("b")}, want: accepted, wantGroup: "b"},
		{name: "no stores", stores: nil, want: noSuchUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var named []authsrc.Named
			for i, s := range tt.stores {
				named = append(named, authsrc.Named{Name: "store" + string(rune('0'+i)), Source: s})
			}
			l, ok := authsrc.Chain(named...).(authsrc.Lookuper)
			if !ok {
				t.Fatal("a chain is not a Lookuper")
			}
			id, err := l.Lookup(context.Background(), okUser)
			if got := classify(err); got != tt.want {
				t.Fatalf("outcome = %s (err %v), want %s", got, err, tt.want)
			}
			if tt.want == accepted {
				if diff := cmp.Diff(authsrc.Identity{User: okUser, Groups: []string{tt.wantGroup}}, id); diff != "" {
					t.Errorf("identity (-want +got):\n%s", diff)
				}
			}
			for _, s := range tt.wantInErr {
				if err == nil || !strings.Contains(err.Error(), s) {
					t.Errorf("error %v does not mention %q", err, s)
				}
			}
		})
	}
}

// Names no store could hold, and a caller that has given up, never reach
// a store.
func TestChainLookupRefusesEarly(t *testing.T) {
	s := accepts("a")
	l := authsrc.Chain(authsrc.Named{Name: "a", Source: s}).(authsrc.Lookuper)
	for _, name := range []string{"", "a\x00b", "\xff", strings.Repeat("u", authsrc.MaxUserLen+1)} {
		if _, err := l.Lookup(context.Background(), name); classify(err) != noSuchUser {
			t.Errorf("Lookup(%q) = %v, want no such user", name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Lookup(ctx, okUser); classify(err) != unavailable {
		t.Errorf("cancelled: %v, want unavailable", err)
	}
	if s.calls != 0 {
		t.Errorf("the store was asked %d times", s.calls)
	}
}
