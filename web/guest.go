package web

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tkt-sso/tkt/ticket"
)

const defaultGuestUser = "guest"

// guestUser expands mod_auth_tkt's TKTAuthGuestUser pattern: "%U" is a
// random UUID, "%<n>U" its first n characters (1-36). Unlike the module,
// a one-character prefix before "%<n>U" is kept.
type guestUser struct {
	enabled bool
	parts   []guestPart
}

type guestPart struct {
	lit  string
	uuid int // >0: that many characters of a UUID
}

func newGuestUser(o GuestConfig) (guestUser, error) {
	g := guestUser{enabled: o.Enabled}
	pattern := o.User
	if pattern == "" {
		pattern = defaultGuestUser
	}
	for rest := pattern; rest != ""; {
		i := strings.IndexByte(rest, '%')
		if i < 0 {
			g.parts = append(g.parts, guestPart{lit: rest})
			break
		}
		if i > 0 {
			g.parts = append(g.parts, guestPart{lit: rest[:i]})
		}
		rest = rest[i+1:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j >= len(rest) || rest[j] != 'U' {
			return g, fmt.Errorf("guest user %q: '%%' must start %%U or %%<n>U", pattern)
		}
		n := 36
		if j > 0 {
			v, err := strconv.Atoi(rest[:j])
			if err != nil || v < 1 || v > 36 {
				return g, fmt.Errorf("guest user %q: %%<n>U needs n from 1 to 36", pattern)
			}
			n = v
		}
		g.parts = append(g.parts, guestPart{uuid: n})
		rest = rest[j+1:]
	}
	// A pattern that can never be minted ('!', NUL) is a configuration
	// error now rather than a 500 at the first guest.
	m := ticket.Minter{Digest: ticket.MD5, Secret: "check"}
	if _, err := m.Mint(ticket.Ticket{UID: g.name(), Time: time.Unix(1, 0)}, netip.Addr{}); err != nil {
		return g, fmt.Errorf("guest user %q: %w", pattern, err)
	}
	return g, nil
}

// name returns a fresh guest user name.
func (g guestUser) name() string {
	var b strings.Builder
	for _, p := range g.parts {
		if p.uuid == 0 {
			b.WriteString(p.lit)
		} else {
			b.WriteString(newUUID()[:p.uuid])
		}
	}
	return b.String()
}

// newUUID returns a random (version 4) UUID in its 36-character form.
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexd[c>>4], hexd[c&0x0f])
	}
	return string(out)
}
