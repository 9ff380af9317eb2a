package shared

import (
	"strconv"
	"strings"
	"time"
)

// allMember is the sorted-set member of the mark for every user. No user
// id holds '!' (it ends the user id in a ticket), so no user can be it.
const allMember = "!all"

// Mark is a revocation: tickets of User (of every user when All) issued
// before At are refused.
type Mark struct {
	User string // empty when All
	All  bool
	// At is the mark's time, whole seconds as ticket times are.
	At time.Time
	// Expires is when the last ticket the mark can refuse times out and
	// Redis drops it; zero when it never does (ticket timeout 0).
	Expires time.Time
}

// member is m's sorted-set member.
func (m Mark) member() string {
	if m.All {
		return allMember
	}
	return m.User
}

// markOf is the Mark of a sorted-set member and score (unix seconds),
// expiring ttl after (never for 0).
func markOf(member string, at int64, ttl time.Duration) Mark {
	m := Mark{At: time.Unix(at, 0).UTC()}
	if member == allMember {
		m.All = true
	} else {
		m.User = member
	}
	if ttl > 0 {
		m.Expires = m.At.Add(ttl)
	}
	return m
}

// payload is the pub/sub message announcing a mark: its unix time, a
// blank, then the member, which may hold blanks itself but nothing is
// read after it.
func payload(member string, at int64) string {
	return strconv.FormatInt(at, 10) + " " + member
}

// parsePayload reads a payload; ok is false for anything else.
func parsePayload(p string) (member string, at int64, ok bool) {
	ts, member, found := strings.Cut(p, " ")
	if !found || member == "" {
		return "", 0, false
	}
	at, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || at <= 0 {
		return "", 0, false
	}
	return member, at, true
}

// marks is an instance's copy of the revocation marks, published in a
// snapshot: never changed once there.
type marks struct {
	all   int64            // unix time of the mark for every user; 0 for none
	users map[string]int64 // unix time of each user's mark
	// refuse makes Check answer "unavailable": on_outage closed, and the
	// copy is older than stale_after (or there never was one).
	refuse bool
	// synced is when Redis last gave the whole set.
	synced time.Time
}

// update is one mark for marks.with.
type update struct {
	member string
	at     int64
}

// with returns a copy of m with ups applied, a later mark winning over an
// earlier one as in Redis (ZADD GT), and the marks earlier than cutoff
// (unix time; 0 for none) dropped: they refuse no ticket that has not
// timed out anyway.
func (m *marks) with(ups []update, cutoff int64) *marks {
	n := &marks{all: m.all, users: make(map[string]int64, len(m.users)+len(ups)), refuse: m.refuse, synced: m.synced}
	for u, at := range m.users {
		if at >= cutoff {
			n.users[u] = at
		}
	}
	for _, up := range ups {
		if up.at < cutoff {
			continue
		}
		if up.member == allMember {
			n.all = max(n.all, up.at)
		} else if up.at > n.users[up.member] {
			n.users[up.member] = up.at
		}
	}
	if n.all < cutoff {
		n.all = 0
	}
	return n
}

// withRefuse returns m with refuse set to r, m itself when it has it.
func (m *marks) withRefuse(r bool) *marks {
	if m.refuse == r {
		return m
	}
	n := *m // the map is shared: no copy ever changes it
	n.refuse = r
	return &n
}
