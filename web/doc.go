// Package web holds tkt's HTTP handlers, each configured by a plain struct
// and reloaded by swapping an immutable state atomically, so a request that
// has started finishes with the state it began with:
//
//   - Portal, the login portal: /login, /logout, / and /static/, with the
//     HTML templates embedded from web/templates and overridable from a
//     directory; passwords checked against an authsrc.Source under a
//     per-user and per-address throttle; the ticket cookie issued, and sent
//     on to allow-listed hosts of other domains as a URL ticket.
//   - ForwardAuth, the forward-auth endpoint (/auth) that nginx, Traefik,
//     Caddy, HAProxy and Envoy ask about each request, with rules by host
//     and path (required tokens, guests, bypass, HTTP Basic).
//   - Gate, a reverse proxy that puts mod_auth_tkt's behaviour
//     (tkthttp.Middleware) in front of any application and passes the
//     identity on in request headers.
//   - Passwords, the throttled password check that HTTP Basic at /auth and
//     the gate share with the portal; the throttle's buckets live in this
//     instance's memory or in a ThrottleStore every instance shares
//     (shared.Throttle, on Redis).
//   - NewRenew, the renewal all three apply before they refresh a ticket:
//     the user stores say who its user is now, or that the ticket must
//     not be refreshed.
//   - Sessions, the server-side sessions (shared.Sessions on Redis) the
//     portal and HTTP Basic record at login, whose id the ticket carries,
//     and that logout ends everywhere.
//
// Tickets themselves are package ticket's business, and the middleware
// semantics package tkthttp's; cmd/tktd maps its configuration onto these
// Configs and serves them.
package web
