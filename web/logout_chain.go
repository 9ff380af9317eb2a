package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// logoutHopsArg marks a logout as a hop of the chain and lists the hosts
// still to visit, comma-separated.
const logoutHopsArg = "hops"

// logoutHop is where a logout goes next to end the ticket on every host
// that was handed it in the URL, in other cookie domains the portal's
// cookie cannot reach (mod_auth_tkt's login CGI does the same with its
// NUKE_COOKIES list): the portal's /logout on each exact host of
// URLTicketHosts in turn, a front-channel chain, each deleting its
// host-only cookie and sending the browser on. The last hop follows the
// back URL, checked there as always; without one, the chain ends on the
// signed-out page of the host it began at. ok is false when there is no
// hop left. A chain begun on a URL ticket host goes to the portal first
// (Config.PortalURL), whose cookie would otherwise hand the application
// a fresh ticket at its next visit.
//
// Only hosts of the list are ever visited, whatever the hops parameter
// says, so the chain is no open redirect. Domain entries
// (".example.org") name no host to visit: list the hosts themselves.
func (s *state) logoutHop(r *http.Request, ci tkthttp.ClientOrigin) (string, bool) {
	var hosts []string
	known := s.redirects.urlTicket.Hosts()
	back := r.Form.Get(s.backArg)
	if r.Form.Has(logoutHopsArg) {
		for h := range strings.SplitSeq(r.Form.Get(logoutHopsArg), ",") {
			if h = strings.ToLower(h); slices.Contains(known, h) {
				hosts = append(hosts, h)
			}
		}
	} else {
		here, port, _ := tkthttp.SplitAuthority(strings.ToLower(ci.Host))
		for _, h := range known {
			if h != strings.ToLower(ci.Host) && h != here {
				hosts = append(hosts, h)
			}
		}
		if p := s.portal; p != nil && s.redirects.urlTicket.Allows(here, port) && !strings.EqualFold(p.Host, ci.Host) {
			// Begun on a URL ticket host: the portal's cookie domain
			// first, then the other hosts (its /logout goes on to them).
			q := url.Values{logoutHopsArg: {strings.Join(hosts, ",")}, s.backArg: {s.chainBack(r, ci, back)}}
			return p.Scheme + "://" + p.Host + "/logout?" + q.Encode(), true
		}
		if len(hosts) == 0 {
			return "", false
		}
		back = s.chainBack(r, ci, back)
	}
	if len(hosts) == 0 {
		return "", false
	}
	q := url.Values{logoutHopsArg: {strings.Join(hosts[1:], ",")}, s.backArg: {back}}
	https := ci.HTTPS && !s.redirects.plainHTTP.AllowsAuthority(hosts[0])
	return scheme(https) + "://" + hosts[0] + "/logout?" + q.Encode(), true
}

// chainBack is where a logout chain begun here ends: the allowed back
// URL (a path on this host, not on the last hop's), else this host's
// signed-out page.
func (s *state) chainBack(r *http.Request, ci tkthttp.ClientOrigin, back string) string {
	origin := scheme(ci.HTTPS) + "://" + ci.Host
	switch t, ok := s.allowedBack(r, ci, back); {
	case !ok:
		return origin + "/logout?" + logoutHopsArg + "=" // this host's signed-out page
	case strings.HasPrefix(t.url, "/"):
		return origin + t.url
	default:
		return t.url
	}
}

// portalOrigin reads Config.PortalURL: an absolute http(s) URL, of which
// the scheme and host count; nil for "".
func portalOrigin(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("portal URL %q: want an absolute http or https URL without user info", raw)
	}
	return &url.URL{Scheme: u.Scheme, Host: strings.ToLower(u.Host)}, nil
}

func scheme(https bool) string {
	if https {
		return "https"
	}
	return "http"
}
