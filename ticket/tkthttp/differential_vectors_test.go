package tkthttp_test

import (
	"net/http"
	"testing"

	"github.com/tkt-sso/tkt/internal/vectors"
)

// vectorDiffers names the deliberate difference each vector shows at the
// middleware, where it has one (the same ones TestVectorsVerdict lists for
// the Verifier, plus the wrapped timestamp, where both refuse but only the
// module deletes the cookie).
func vectorDiffers() map[string]string {
	return map[string]string{
		"mint-md5-empty-user":   "empty-uid",
		"ts-7fffffff-md5":       "future-ticket",
		"ts-ffffffff-md5":       "ts-wrap",
		"cookie-bad-then-valid": "each-cookie-tried",
	}
}

func vectorShows(difference string) bool {
	for _, d := range vectorDiffers() {
		if d == difference {
			return true
		}
	}
	return false
}

// diffVectors sends the reference vectors' cookies to both: each at the
// location that matches the vector's request (digest, IP binding,
// timeout).
func diffVectors(t *testing.T, e *diffEnv) {
	for _, v := range vectors.Load(t) {
		t.Run(v.ID, func(t *testing.T) {
			c := diffCase{name: v.ID, vhost: "v" + v.Request.ServerDigest, loc: "notimeout", from: v.Request.ClientIP,
				cookie: v.Request.CookieValue, differ: vectorDiffers()[v.ID]}
			switch {
			case v.Request.Timeout == 7200 && !v.Request.IgnoreIP:
				c.loc = "main"
			case v.Request.Timeout != 0:
				t.Fatalf("no location for timeout %d, ignore IP %v", v.Request.Timeout, v.Request.IgnoreIP)
			case v.Request.IgnoreIP:
				c.loc = "notimeout-noip"
			}
			if v.Request.CookieHeaders != nil {
				c.cookie, c.header = "", http.Header{"Cookie": v.Request.CookieHeaders}
			}
			// The live module must still give the recorded verdict, or
			// the vectors (or this harness) are wrong.
			cfg := e.config(t, c)
			if a := e.apache(t, c, cfg); a.out.Accepted != v.Apache.Accepted {
				t.Fatalf("live Apache accepted %v, the vector says %v (%s)", a.out.Accepted, v.Apache.Accepted, v.Desc)
			}
			e.diff(t, c)
		})
	}
}
