package web

import (
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
// hop left.
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
		here, _, _ := tkthttp.SplitAuthority(strings.ToLower(ci.Host))
		for _, h := range known {
			if h != strings.ToLower(ci.Host) && h != here {
				hosts = append(hosts, h)
			}
		}
		if len(hosts) == 0 {
			return "", false
		}
		origin := scheme(ci.HTTPS) + "://" + ci.Host
		switch t, ok := s.allowedBack(r, ci, back); {
		case !ok:
			// Back here, to this host's signed-out page.
			back = origin + "/logout?" + logoutHopsArg + "="
		case strings.HasPrefix(t.url, "/"):
			back = origin + t.url // a path on this host, not the last hop's
		default:
			back = t.url
		}
	}
	if len(hosts) == 0 {
		return "", false
	}
	q := url.Values{logoutHopsArg: {strings.Join(hosts[1:], ",")}, s.backArg: {back}}
	https := ci.HTTPS && !s.redirects.plainHTTP.AllowsAuthority(hosts[0])
	return scheme(https) + "://" + hosts[0] + "/logout?" + q.Encode(), true
}

func scheme(https bool) string {
	if https {
		return "https"
	}
	return "http"
}
