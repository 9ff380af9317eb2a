package authsrc_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/authsrctest"
)

// stub is a fault-injection store: it answers every question the same way
// and counts how often it was asked. Real stores are tested against their
// real servers; Chain only routes answers, so canned answers are what it
// needs to be tested against.
type stub struct {
	id    authsrc.Identity
	err   error
	calls int
	// during runs inside Authenticate, e.g. to cancel the caller's context
	// while the store is working.
	during func()
}

func (s *stub) Authenticate(ctx context.Context, user, password string) (authsrc.Identity, error) {
	s.calls++
	if s.during != nil {
		s.during()
	}
	if s.err != nil {
		return authsrc.Identity{}, s.err
	}
	return s.id, nil
}

// Lookup answers as Authenticate does, so a stub whose err is
// authsrc.ErrNoSuchUser is a store that does not hold the user.
func (s *stub) Lookup(ctx context.Context, user string) (authsrc.Identity, error) {
	return s.Authenticate(ctx, user, "")
}

const (
	okUser = "alice"
	okPass = "correct horse"
)

func accepts(group string) *stub {
	return &stub{id: authsrc.Identity{User: okUser, Groups: []string{group}}}
}
func rejects() *stub { return &stub{err: authsrc.ErrInvalidCredentials} }
func down(name string) *stub {
	return &stub{err: authsrc.Unavailable(name, errors.New("connection refused"))}
}

// Short local names for the shared outcome vocabulary.
type outcome = authsrctest.Outcome

const (
	accepted    = authsrctest.Accepted
	invalid     = authsrctest.Invalid
	unavailable = authsrctest.Unavailable
	noSuchUser  = authsrctest.NoSuchUser
)

func classify(err error) outcome { return authsrctest.Classify(err) }

func TestChain(t *testing.T) {
	tests := []struct {
		name      string
		stores    []*stub
		password  string
		want      outcome
		wantGroup string // the group of the store that must have answered
		wantCalls []int
		wantInErr []string // substrings the error must name (which store failed)
	}{
		{name: "first accepts", stores: []*stub{accepts("a")}, want: accepted, wantGroup: "a", wantCalls: []int{1}},
		{name: "accept stops the chain", stores: []*stub{accepts("a"), accepts("b")}, want: accepted, wantGroup: "a", wantCalls: []int{1, 0}},
		{name: "invalid passes on", stores: []*stub{rejects(), accepts("b")}, want: accepted, wantGroup: "b", wantCalls: []int{1, 1}},
		{name: "down passes on", stores: []*stub{down("s0"), accepts("b")}, want: accepted, wantGroup: "b", wantCalls: []int{1, 1}},
		{name: "all invalid", stores: []*stub{rejects(), rejects(), rejects()}, want: invalid, wantCalls: []int{1, 1, 1}},
		{name: "down then invalid fails closed", stores: []*stub{down("s0"), rejects()}, want: unavailable, wantCalls: []int{1, 1}, wantInErr: []string{"store0"}},
		{name: "invalid then down fails closed", stores: []*stub{rejects(), down("s1")}, want: unavailable, wantCalls: []int{1, 1}, wantInErr: []string{"store1"}},
		{name: "all down names every store", stores: []*stub{down("s0"), down("s1")}, want: unavailable, wantCalls: []int{1, 1}, wantInErr: []string{"store0", "store1", "connection refused"}},
		{name: "bare error counts as down", stores: []*stub{{err: errors.New("boom")}, rejects()}, want: unavailable, wantCalls: []int{1, 1}, wantInErr: []string{"boom"}},
		{name: "error matching both sentinels counts as down", stores: []*stub{{err: fmt.Errorf("%w and %w", authsrc.ErrInvalidCredentials, authsrc.ErrUnavailable)}}, want: unavailable, wantCalls: []int{1}},
		{name: "no stores rejects", stores: nil, want: invalid, wantCalls: []int{}},
		{name: "empty password never reaches a store", stores: []*stub{accepts("a")}, password: "-", want: invalid, wantCalls: []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var named []authsrc.Named
			for i, s := range tt.stores {
				named = append(named, authsrc.Named{Name: "store" + string(rune('0'+i)), Source: s})
			}
			pw := okPass
			if tt.password == "-" {
				pw = ""
			}
			id, err := authsrc.Chain(named...).Authenticate(context.Background(), okUser, pw)
			if got := classify(err); got != tt.want {
				t.Fatalf("outcome = %s (err %v), want %s", got, err, tt.want)
			}
			if tt.want == accepted {
				if diff := cmp.Diff(authsrc.Identity{User: okUser, Groups: []string{tt.wantGroup}}, id); diff != "" {
					t.Errorf("identity (-want +got):\n%s", diff)
				}
			}
			calls := []int{}
			for _, s := range tt.stores {
				calls = append(calls, s.calls)
			}
			if diff := cmp.Diff(tt.wantCalls, calls); diff != "" {
				t.Errorf("calls per store (-want +got):\n%s", diff)
			}
			if err != nil {
				msg := err.Error()
				for _, s := range tt.wantInErr {
					if !strings.Contains(msg, s) {
						t.Errorf("error %q does not mention %q", msg, s)
					}
				}
				if strings.Contains(msg, okPass) || strings.Contains(msg, "\n") {
					t.Errorf("error %q holds the password or spans lines", msg)
				}
			}
		})
	}
}

func TestChainContext(t *testing.T) {
	t.Run("cancelled before the first store", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s := accepts("a")
		_, err := authsrc.Chain(authsrc.Named{Name: "a", Source: s}).Authenticate(ctx, okUser, okPass)
		if got := classify(err); got != unavailable || s.calls != 0 {
			t.Fatalf("outcome %s after %d calls, want unavailable after 0", got, s.calls)
		}
	})
	t.Run("cancelled while a store rejects", func(t *testing.T) {
		// The first store says no as the caller gives up: the second store
		// was never asked, so "invalid" would be a guess.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		first := rejects()
		first.during = cancel
		second := accepts("b")
		_, err := authsrc.Chain(
			authsrc.Named{Name: "first", Source: first},
			authsrc.Named{Name: "second", Source: second},
		).Authenticate(ctx, okUser, okPass)
		if got := classify(err); got != unavailable {
			t.Fatalf("outcome = %s (%v), want unavailable", got, err)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want it to wrap context.Canceled", err)
		}
		if second.calls != 0 {
			t.Errorf("second store asked %d times after cancellation", second.calls)
		}
	})
}

func TestChainNilSourcePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Chain with a nil Source did not panic")
		}
	}()
	authsrc.Chain(authsrc.Named{Name: "broken"})
}

func TestChainCopiesItsArguments(t *testing.T) {
	named := []authsrc.Named{{Name: "a", Source: rejects()}}
	c := authsrc.Chain(named...)
	named[0].Source = accepts("a") // a later change to the caller's slice
	if _, err := c.Authenticate(context.Background(), okUser, okPass); classify(err) != invalid {
		t.Errorf("chain followed a change to its argument slice: err = %v", err)
	}
}
