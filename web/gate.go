package web

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tkt-sso/tkt/ticket"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// GateConfig configure a Gate: mod_auth_tkt in front of any application,
// as a reverse proxy.
type GateConfig struct {
	// Middleware is how tickets are checked: the TKTAuth* settings. Its
	// Renew (NewRenew) renews tickets from the user stores before they
	// are refreshed; tktd sets it when the gate has stores (gate.basic),
	// and without them refreshes tickets as they are.
	Middleware tkthttp.Config
	// Upstream is the application's base URL.
	Upstream *url.URL
	// Headers name the identity headers the application receives; the
	// zero value means Remote-User, Remote-Groups and Remote-Data.
	// Client-sent headers of those names (in any spelling) never reach it.
	Headers tkthttp.IdentityHeaders
	// PassTicketCookie hands the ticket cookie on to the application;
	// by default it is removed, so the application cannot replay it.
	PassTicketCookie bool
	// Basic, when set, takes HTTP Basic credentials as well as tickets.
	// Credentials the gate took are never passed on.
	Basic *BasicConfig
	// Transport reaches the upstream; nil means a transport with bounded
	// connect and header timeouts.
	Transport http.RoundTripper
	// Logger gets a line for each upstream failure; nil discards.
	Logger *slog.Logger
}

// Gate is the gate's http.Handler. Reload swaps its state atomically.
type Gate struct {
	state atomic.Pointer[http.Handler]
	// transport is the default one, kept across reloads with its pool of
	// connections to the application.
	transport http.RoundTripper
}

// NewGate validates o and returns a ready Gate.
func NewGate(o GateConfig) (*Gate, error) {
	g := &Gate{transport: defaultTransport()}
	if err := g.Reload(o); err != nil {
		return nil, err
	}
	return g, nil
}

// Reload validates o and swaps it in; on error the previous state stays.
func (g *Gate) Reload(o GateConfig) error {
	if o.Transport == nil {
		o.Transport = g.transport
	}
	h, err := newGateHandler(o)
	if err != nil {
		return err
	}
	g.state.Store(&h)
	return nil
}

func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*g.state.Load()).ServeHTTP(w, r)
}

func newGateHandler(o GateConfig) (http.Handler, error) {
	var errs []error
	u := o.Upstream
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New("gate: the upstream must be an http or https URL"))
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mc := o.Middleware
	cookie := CookieConfig{Name: mc.CookieName, Domain: mc.CookieDomain, Path: mc.CookiePath, Secure: mc.SecureCookie, Expires: mc.CookieExpires}
	basic, err := newBasicAuth(o.Basic, mc.Ticket, cookie, log, mc.Now)
	errs = append(errs, err)
	if o.Basic != nil {
		mc.Challenge = basicChallenge(o.Basic.Realm)
	}
	mw, err := tkthttp.New(mc)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	clients := o.Middleware.ClientAddrConfig
	cookieName := o.Middleware.CookieName
	if cookieName == "" {
		cookieName = ticket.DefaultCookieName
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			forwardedFor(pr, clients.Origin(pr.In))
			id, _ := tkthttp.IdentityFrom(pr.In.Context())
			// The middleware let the request in, so id is set; Set strips
			// client-sent identity headers before it writes ours.
			o.Headers.Set(pr.Out.Header, id) // checked before the proxy was called

			if !o.PassTicketCookie {
				dropCookie(pr.Out.Header, cookieName)
			}
			if consumed(pr.In, mc.BearerTickets, basic != nil) {
				pr.Out.Header.Del("Authorization")
			}
		},
		Transport: o.Transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				// The client went away: nobody reads an answer, and the
				// application is not at fault. 499 is nginx's word for it,
				// kept out of the 5xx that alerts watch.
				log.LogAttrs(r.Context(), slog.LevelDebug, "gate: client closed the request", slog.String("err", err.Error()))
				w.WriteHeader(statusClientClosed)
				return
			}
			log.LogAttrs(r.Context(), slog.LevelError, "gate: upstream failed",
				slog.String("upstream", u.Host), slog.String("err", err.Error()))
			forwardError(w, http.StatusBadGateway, "the application did not answer")
		},
		ErrorLog:   slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BufferPool: newBufferPool(),
	}
	pass := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tkthttp.IdentityFrom(r.Context())
		if err := o.Headers.Check(id); err != nil {
			// An application would take a missing header for "anonymous".
			log.LogAttrs(r.Context(), slog.LevelWarn, "gate refused: identity unfit for a header", slog.String("reason", err.Error()))
			forwardError(w, http.StatusForbidden, "identity cannot be passed in a header")
			return
		}
		liftDeadlines(w)
		rp.ServeHTTP(w, r)
	})
	withTicket := mw.Wrap(pass)
	if basic == nil {
		return withTicket, nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hasBasic(r) || mc.RequireTLS && !clients.Origin(r).HTTPS {
			// Under require_tls, a password over plain http is not taken:
			// the ticket's middleware sends browsers to https and refuses
			// the rest.
			withTicket.ServeHTTP(w, r)
			return
		}
		id, ok := basic.authenticate(w, r, clients.Origin(r), tkthttp.Requirement{Tokens: mc.Ticket.Tokens, AllTokens: mc.AllTokens, Users: mc.Users}, false)
		if ok {
			pass.ServeHTTP(w, r.WithContext(tkthttp.WithIdentity(r.Context(), id)))
		}
	}), nil
}

// liftDeadlines clears the server's read and write deadlines for a request
// that goes through to the application. They bound the requests of clients
// without a ticket, which must not hold a connection; the application's
// own uploads, downloads, event streams and WebSockets last as long as it
// lets them. (A server without deadlines, or a test's recorder, has
// nothing to lift.)
func liftDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
}

// statusClientClosed is nginx's status for a request whose client hung up.
const statusClientClosed = 499

// bufferPool recycles the proxy's copy buffers: without one, every
// response allocates 32 KiB afresh, and the collector spends a fifth of
// the gate's time clearing up after them.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
}

func (b *bufferPool) Get() []byte  { return *b.p.Get().(*[]byte) }
func (b *bufferPool) Put(v []byte) { b.p.Put(&v) }

// consumed reports whether the request's Authorization header is a
// credential the gate took (a bearer ticket, or Basic, when the gate takes
// them), which the application must not see: a password, or a ticket it
// could replay.
func consumed(r *http.Request, bearer, basic bool) bool {
	h := r.Header["Authorization"]
	if len(h) == 0 {
		return false
	}
	scheme, _, _ := strings.Cut(h[0], " ")
	return bearer && strings.EqualFold(scheme, "Bearer") || basic && strings.EqualFold(scheme, "Basic")
}

// forwardedFor tells the application who asked: the client's address
// appended to the chain of trusted proxies (an untrusted client's own
// X-Forwarded-For is dropped), and the scheme and host the client used.
func forwardedFor(pr *httputil.ProxyRequest, o tkthttp.ClientOrigin) {
	if o.Proxied {
		if prior := pr.In.Header.Values("X-Forwarded-For"); len(prior) > 0 {
			pr.Out.Header["X-Forwarded-For"] = []string{strings.Join(prior, ", ")}
		}
	}
	pr.SetXForwarded()
	pr.Out.Header.Set("X-Forwarded-Host", o.Host)
	proto := "http"
	if o.HTTPS {
		proto = "https"
	}
	pr.Out.Header.Set("X-Forwarded-Proto", proto)
}

// dropCookie removes every cookie called name from the Cookie headers,
// keeping the others in order (joined with "; "). A ';'-separated part goes wherever
// ticket.CookieValues would find the cookie in it: at its start, or after
// a space ("a=1 auth_tkt=..." is malformed, but a ticket to the
// validators).
func dropCookie(h http.Header, name string) {
	lines := h["Cookie"]
	if len(lines) == 0 {
		return
	}
	var kept []string
	for _, line := range lines {
		var parts []string
		for part := range strings.SplitSeq(line, ";") {
			if strings.HasPrefix(strings.TrimSpace(part), name+"=") || strings.Contains(part, " "+name+"=") {
				continue
			}
			parts = append(parts, strings.TrimSpace(part))
		}
		if len(parts) > 0 {
			kept = append(kept, strings.Join(parts, "; "))
		}
	}
	if len(kept) == 0 {
		h.Del("Cookie")
		return
	}
	h["Cookie"] = kept
}

// defaultTransport bounds the parts of a round trip that have a natural
// limit (connecting, waiting for the response header) and none of the
// rest: a download or an event stream may run for as long as it likes.
func defaultTransport() *http.Transport {
	return &http.Transport{
		Proxy:             nil, // the upstream is reached directly, never through $HTTP_PROXY
		DialContext:       (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2: true,
		// The client's own Accept-Encoding goes through as it is; the
		// transport must not ask for gzip on its behalf and then spend
		// the CPU to undo it.
		DisableCompression:    true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
