package ldap

import (
	"context"
	"sync"
	"time"

	"github.com/tkt-sso/tkt/authsrc/internal/pace"
)

// bindPace keeps one server's "invalid credentials" answers from telling
// which names exist. A bind to an entry makes the directory check the
// password against its hash, which may be a costly one ({CRYPT} bcrypt,
// argon2); a bind to a DN it doesn't hold is refused at once. The login
// for an unknown user makes the same round trips as for a known one (a
// search, then a bind), but only the time of the second kind of bind can
// make up the difference, and tkt can't hash for the directory: so it
// learns how long a login takes, from its start to the answer of a bind
// that checked a password against an entry, and holds every invalid
// answer until a little after that. Sleeping, not binding again: a second
// bind would cost the directory work for made-up names, and could count
// against a real account's lockout.
//
// It learns from the logins themselves, so the first invalid answers
// after a start, before any bind against an entry, are not held.
type bindPace struct {
	mu  sync.Mutex
	est pace.Estimate
}

// checked records that a bind which checked a password against an entry
// answered d after the login started.
func (p *bindPace) checked(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.est.Add(d)
}

// wait holds an invalid answer until the floor has passed since start.
func (p *bindPace) wait(ctx context.Context, start time.Time) {
	p.mu.Lock()
	floor := pace.Floor(p.est.Value())
	p.mu.Unlock()
	pace.SleepUntil(ctx, start.Add(floor))
}
