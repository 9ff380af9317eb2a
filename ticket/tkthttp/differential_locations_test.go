package tkthttp_test

import (
	"time"

	"github.com/tkt-sso/tkt/internal/apachetest"
	"github.com/tkt-sso/tkt/internal/vectors"
	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// diffLoc is one protected location, written twice: as mod_auth_tkt
// directives for the real Apache, and as the Config that says
// the same thing. base is the virtual host's own http://127.0.0.1:PORT
// ($BASE in the directives).
//
// The module's defaults are spelled out in every mirror: TKTAuthTimeout 2h,
// TKTAuthTimeoutRefresh 0.5 and TKTAuthQuerySeparator ';' apply where the
// directives are silent, while a zero Config means no timeout
// and '&'.
type diffLoc struct {
	name   string // the location is /name/
	apache []string
	ours   func(base string) tkthttp.Config
}

const (
	dLogin = "TKTAuthLoginURL $BASE/login"
	dDay   = 2 * time.Hour // the module's default timeout
)

func diffTimes(timeout time.Duration, refresh float64) ticket.Config {
	return ticket.Config{Timeout: timeout, Refresh: refresh}
}

func diffLocations() []diffLoc {
	std := func(base string, t ticket.Config) tkthttp.Config {
		return tkthttp.Config{LoginURL: base + "/login", QuerySeparator: ";", Ticket: t}
	}
	with := func(t ticket.Config, f func(base string, c *tkthttp.Config)) func(string) tkthttp.Config {
		return func(base string) tkthttp.Config {
			c := std(base, t)
			if f != nil {
				f(base, &c)
			}
			return c
		}
	}
	def := diffTimes(dDay, 0.5)
	tokens := def
	tokens.Tokens = []string{"finance", "admin"}
	adminOnly := def
	adminOnly.Tokens = []string{"admin"}
	noip := def
	noip.IgnoreIP = true
	guest := func(f func(c *tkthttp.Config)) func(string) tkthttp.Config {
		return func(string) tkthttp.Config {
			c := tkthttp.Config{GuestLogin: true, QuerySeparator: ";", Ticket: def}
			f(&c)
			return c
		}
	}
	return []diffLoc{
		{"main", []string{dLogin, "TKTAuthTimeout 2h", "TKTAuthTimeoutRefresh 0.5"}, with(def, nil)},
		{"tokens", []string{dLogin, "TKTAuthUnauthURL $BASE/unauth", "TKTAuthToken finance", "TKTAuthToken admin"},
			with(tokens, func(base string, c *tkthttp.Config) { c.UnauthURL = base + "/unauth" })},
		{"tokensnounauth", []string{dLogin, "TKTAuthToken admin"}, with(adminOnly, nil)},
		{"noip", []string{dLogin, "TKTAuthIgnoreIP on"}, with(noip, nil)},
		{"short", []string{dLogin, "TKTAuthTimeout 60", "TKTAuthTimeoutRefresh 0.5", "TKTAuthCookieExpires 60"},
			with(diffTimes(time.Minute, 0.5), func(_ string, c *tkthttp.Config) { c.CookieExpires = time.Minute })},
		{"timeouturl", []string{dLogin, "TKTAuthTimeoutURL $BASE/login?timeout=1", "TKTAuthPostTimeoutURL $BASE/login?posttimeout=1", "TKTAuthTimeout 60"},
			with(diffTimes(time.Minute, 0.5), func(base string, c *tkthttp.Config) {
				c.TimeoutURL, c.PostTimeoutURL = base+"/login?timeout=1", base+"/login?posttimeout=1"
			})},
		{"refresh1", []string{dLogin, "TKTAuthTimeoutRefresh 1"}, with(diffTimes(dDay, 1), nil)},
		{"norefresh", []string{dLogin, "TKTAuthTimeoutRefresh 0"}, with(diffTimes(dDay, 0), nil)},
		{"notimeout", []string{dLogin, "TKTAuthTimeout 0"}, with(diffTimes(0, 0.5), nil)},
		{"notimeout-noip", []string{dLogin, "TKTAuthTimeout 0", "TKTAuthIgnoreIP on"},
			with(ticket.Config{IgnoreIP: true, Refresh: 0.5}, nil)},
		{"backq", []string{"TKTAuthLoginURL $BASE/login?x=1"},
			with(def, func(base string, c *tkthttp.Config) { c.LoginURL = base + "/login?x=1" })},
		{"backamp", []string{"TKTAuthLoginURL $BASE/login?x=1", "TKTAuthQuerySeparator &"},
			with(def, func(base string, c *tkthttp.Config) { c.LoginURL, c.QuerySeparator = base+"/login?x=1", "&" })},
		{"backcookie", []string{dLogin, "TKTAuthBackCookieName back_url"},
			with(def, func(_ string, c *tkthttp.Config) { c.BackCookieName = "back_url" })},
		{"backnone", []string{dLogin, "TKTAuthBackArgName None"},
			with(def, func(_ string, c *tkthttp.Config) { c.NoBackArg = true })},
		{"backname", []string{dLogin, "TKTAuthBackArgName rd"},
			with(def, func(_ string, c *tkthttp.Config) { c.BackArg = "rd" })},
		{"relative", []string{"TKTAuthLoginURL /login"},
			with(def, func(_ string, c *tkthttp.Config) { c.LoginURL = "/login" })},
		{"cookiename", []string{dLogin, "TKTAuthCookieName my_tkt"},
			with(def, func(_ string, c *tkthttp.Config) { c.CookieName = "my_tkt" })},
		{"secure", []string{dLogin, "TKTAuthCookieSecure on", "TKTAuthDomain example.test", "TKTAuthTimeoutRefresh 1", "TKTAuthCookieExpires 1h"},
			with(diffTimes(dDay, 1), func(_ string, c *tkthttp.Config) {
				c.SecureCookie, c.CookieDomain, c.CookieExpires = true, "example.test", time.Hour
			})},
		{"requiressl", []string{dLogin, "TKTAuthRequireSSL on"},
			with(def, func(_ string, c *tkthttp.Config) { c.RequireTLS = true })},
		{"urltkt", []string{dLogin},
			with(def, func(_ string, c *tkthttp.Config) { c.URLTicketHosts = []string{"127.0.0.1"} })},
		{"guest", []string{"TKTAuthGuestLogin on", "TKTAuthGuestUser guest-%12U", "TKTAuthGuestCookie on"},
			guest(func(c *tkthttp.Config) { c.GuestUser, c.GuestCookie = "guest-%12U", true })},
		{"guestuuid", []string{"TKTAuthGuestLogin on", "TKTAuthGuestUser visitor-%U-x"},
			guest(func(c *tkthttp.Config) { c.GuestUser = "visitor-%U-x" })},
		{"guestuuid1", []string{"TKTAuthGuestLogin on", "TKTAuthGuestUser g%8U"},
			guest(func(c *tkthttp.Config) { c.GuestUser = "g%8U" })},
		{"guestplain", []string{"TKTAuthGuestLogin on"}, guest(func(*tkthttp.Config) {})},
		{"guestempty", []string{"TKTAuthGuestLogin on", "TKTAuthGuestEmpty on"},
			guest(func(c *tkthttp.Config) { c.GuestEmpty = true })},
		{"guestfallback", []string{dLogin, "TKTAuthGuestLogin on", "TKTAuthGuestFallback on", "TKTAuthTimeout 60"},
			func(base string) tkthttp.Config {
				return tkthttp.Config{LoginURL: base + "/login", QuerySeparator: ";", GuestLogin: true, GuestFallback: true,
					Ticket: diffTimes(time.Minute, 0.5)}
			}},
		{"guesttokens", []string{"TKTAuthGuestLogin on", "TKTAuthGuestCookie on", "TKTAuthUnauthURL $BASE/unauth", "TKTAuthToken admin"},
			func(base string) tkthttp.Config {
				return tkthttp.Config{UnauthURL: base + "/unauth", QuerySeparator: ";", GuestLogin: true, GuestCookie: true, Ticket: adminOnly}
			}},
	}
}

// diffVHost is a virtual host of the differential test and the secrets
// our mirror of it uses.
type diffVHost struct {
	name, apacheDigest string
	digest             ticket.Digest
	secret, old        string
	locations          []string // names from diffLocations; nil means all
}

func diffVHosts() []diffVHost {
	vec := []string{"main", "notimeout", "notimeout-noip"}
	return []diffVHost{
		{name: "md5", apacheDigest: "MD5", digest: ticket.MD5, secret: apachetest.MainSecret},
		{name: "sha256", apacheDigest: "SHA256", digest: ticket.SHA256, secret: apachetest.MainSecret, locations: []string{"main", "tokens", "guest", "urltkt"}},
		{name: "old", apacheDigest: "MD5", digest: ticket.MD5, secret: apachetest.NewSecret, old: apachetest.MainSecret, locations: []string{"main", "guest"}},
		{name: "vmd5", apacheDigest: "MD5", digest: ticket.MD5, secret: vectors.ApacheSecret, locations: vec},
		{name: "vsha256", apacheDigest: "SHA256", digest: ticket.SHA256, secret: vectors.ApacheSecret, locations: vec},
	}
}

func (vh diffVHost) has(loc string) bool {
	if vh.locations == nil {
		return true
	}
	for _, l := range vh.locations {
		if l == loc {
			return true
		}
	}
	return false
}

// apacheConfig is the Apache that mirrors diffVHosts and diffLocations.
func diffApacheConfig() apachetest.Config {
	var c apachetest.Config
	for _, vh := range diffVHosts() {
		v := apachetest.VHost{Name: vh.name, Digest: vh.apacheDigest, Secret: vh.secret, OldSecret: vh.old}
		for _, l := range diffLocations() {
			if vh.has(l.name) {
				v.Locations = append(v.Locations, apachetest.Location{Path: "/" + l.name + "/", Directives: l.apache})
			}
		}
		c.VHosts = append(c.VHosts, v)
	}
	return c
}
