// Command tkt-traefik-forwardauth runs Traefik's own forwardAuth middleware
// (github.com/traefik/traefik/v3/pkg/middlewares/auth) behind Traefik's own
// entry point X-Forwarded-* handling, in front of one upstream, for tkt's
// end-to-end tests. Debian packages no Traefik and the module proxy cannot
// build the whole of it (some of its ACME DNS providers' modules are not
// served), but these two packages are the code that decides what tktd's
// /auth is asked and what becomes of its answer; a route to one service is
// all the rest of Traefik would add.
//
// It is a module of its own, so that Traefik's dependencies stay out of
// tkt's go.mod; .ci/run builds it (a cold build takes minutes):
//
//	cd internal/proxytest/traefik && go build -o /usr/local/bin/tkt-traefik-forwardauth .
//
// It reads one JSON file. Its middlewares are Traefik's dynamic
// configuration, field for field (forwardAuth and headers are built); its
// routers stand in for Traefik's rules with path prefixes, tried in order;
// forwardedHeaders is the entry point's option of that name:
//
//	{"listen": "127.0.0.1:8080",
//	 "forwardedHeaders": {"insecure": false, "trustedIPs": []},
//	 "middlewares": {"tkt": {"forwardAuth": {"address": "http://127.0.0.1:9091/auth",
//	                                         "authResponseHeaders": ["Remote-User"]}}},
//	 "routers": [{"pathPrefixes": ["/login"], "service": "http://127.0.0.1:9091"},
//	             {"middlewares": ["tkt"], "service": "http://127.0.0.1:9000"}]}
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/rs/zerolog"
	zlog "github.com/rs/zerolog/log"
	"github.com/traefik/traefik/v3/pkg/config/dynamic"
	"github.com/traefik/traefik/v3/pkg/middlewares/auth"
	"github.com/traefik/traefik/v3/pkg/middlewares/forwardedheaders"
	"github.com/traefik/traefik/v3/pkg/middlewares/headers"
)

// config is the file's layout.
type config struct {
	Listen           string `json:"listen"`
	ForwardedHeaders struct {
		// Whose X-Forwarded-* the entry point keeps.
		Insecure   bool     `json:"insecure"`
		TrustedIPs []string `json:"trustedIPs"`
	} `json:"forwardedHeaders"`
	Middlewares map[string]dynamic.Middleware `json:"middlewares"`
	Routers     []struct {
		PathPrefixes []string `json:"pathPrefixes"` // empty matches every path
		Middlewares  []string `json:"middlewares"`
		Service      string   `json:"service"` // the upstream's URL
	} `json:"routers"`
}

func main() {
	file := flag.String("config", "", "the JSON configuration (see the package comment)")
	flag.Parse()
	if *file == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: tkt-traefik-forwardauth -config FILE")
		os.Exit(2)
	}
	// Traefik's middlewares log through the context logger, as in
	// cmd/traefik; without it their errors vanish behind a bare 500.
	zlog.Logger = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, NoColor: true}).With().Timestamp().Logger()
	zerolog.DefaultContextLogger = &zlog.Logger
	c, err := load(*file)
	if err != nil {
		log.Fatal(err)
	}
	h, err := c.handler()
	if err != nil {
		log.Fatalf("%s: %v", *file, err)
	}
	log.Printf("Traefik's forwardAuth middleware: listening on %s", c.Listen)
	log.Fatal(http.ListenAndServe(c.Listen, h))
}

func load(file string) (*config, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var c config
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &c, nil
}

// handler builds the entry point, the routers and their middlewares.
func (c *config) handler() (http.Handler, error) {
	type route struct {
		prefixes []string
		h        http.Handler
	}
	var routes []route
	for i, r := range c.Routers {
		up, err := url.Parse(r.Service)
		if err != nil || up.Host == "" {
			return nil, fmt.Errorf("router %d: service %q is not an absolute URL", i+1, r.Service)
		}
		h := proxyTo(up)
		// The first middleware named sees the request first.
		for j := len(r.Middlewares) - 1; j >= 0; j-- {
			if h, err = c.middleware(r.Middlewares[j], h); err != nil {
				return nil, fmt.Errorf("router %d: %w", i+1, err)
			}
		}
		routes = append(routes, route{r.PathPrefixes, h})
	}
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, rt := range routes {
			if len(rt.prefixes) == 0 || slices.ContainsFunc(rt.prefixes, func(p string) bool { return strings.HasPrefix(r.URL.Path, p) }) {
				rt.h.ServeHTTP(w, r)
				return
			}
		}
		http.NotFound(w, r)
	})
	return forwardedheaders.NewXForwarded(c.ForwardedHeaders.Insecure, c.ForwardedHeaders.TrustedIPs, nil, mux)
}

func (c *config) middleware(name string, next http.Handler) (http.Handler, error) {
	m, ok := c.Middlewares[name]
	switch {
	case !ok:
		return nil, fmt.Errorf("no middleware %q", name)
	case m.ForwardAuth != nil:
		fa := *m.ForwardAuth
		if fa.MaxBodySize == nil {
			def := dynamic.ForwardAuth{}
			def.SetDefaults() // as Traefik's own decoder does
			fa.MaxBodySize = def.MaxBodySize
		}
		return auth.NewForward(context.Background(), next, fa, name)
	case m.Headers != nil:
		return headers.New(context.Background(), next, *m.Headers, name)
	}
	return nil, fmt.Errorf("middleware %q: only forwardAuth and headers are built here", name)
}

// proxyTo is Traefik's reverse proxy to a service as pkg/proxy/httputil
// sets it up with passHostHeader: the client's Host and request URI as
// they came.
func proxyTo(up *url.URL) http.Handler {
	return &httputil.ReverseProxy{Director: func(r *http.Request) {
		r.URL.Scheme, r.URL.Host = up.Scheme, up.Host
		u := r.URL
		if r.RequestURI != "" {
			if p, err := url.ParseRequestURI(r.RequestURI); err == nil {
				u = p
			}
		}
		r.URL.Path, r.URL.RawPath = u.Path, u.RawPath
		r.URL.RawQuery = strings.ReplaceAll(u.RawQuery, ";", "&")
		r.RequestURI = ""
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	}}
}
