package web

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientInfo is what a request tells about the browser behind it.
type clientInfo struct {
	ip     netip.Addr // unmapped; invalid when unknown
	secure bool       // reached us over TLS (directly or via a trusted proxy)
}

// proxies is the set of peers whose forwarding headers are believed.
type proxies []netip.Prefix

func (ps proxies) trusted(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// client finds the client's address: the TCP peer, unless the peer is a
// trusted proxy, in which case X-Forwarded-For is walked from the right
// (the entries nearest to us, appended by proxies we trust) to the first
// address that is not itself a trusted proxy. Entries left of that one
// were written by the client and are ignored. An unparsable entry stops the
// walk at the last trusted hop: better to bind or throttle the proxy than
// an address the client made up.
func (ps proxies) client(r *http.Request) clientInfo {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	var peer netip.Addr
	if err == nil {
		peer = ap.Addr().Unmap()
	} else if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		peer = a.Unmap()
	}
	ci := clientInfo{ip: peer, secure: r.TLS != nil}
	if !peer.IsValid() || !ps.trusted(peer) {
		return ci
	}
	if strings.EqualFold(strings.TrimSpace(lastValue(r.Header.Values("X-Forwarded-Proto"))), "https") {
		ci.secure = true
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		a, err := netip.ParseAddr(h)
		if err != nil {
			break
		}
		ci.ip = a.Unmap()
		if !ps.trusted(ci.ip) {
			break
		}
	}
	return ci
}

// lastValue is the value a proxy appended last, for headers that proxies
// overwrite or append to.
func lastValue(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	v := vs[len(vs)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return v
}
