// Package ticket mints, parses and verifies auth_tkt tickets: the signed
// cookies of Apache mod_auth_tkt, byte-compatible with it for the MD5,
// SHA-256 and SHA-512 digest types, plus tkt's own HMAC-SHA256 format.
//
// The package has no I/O and no global state and imports only the standard
// library, so any Go service can vendor it to check tkt tickets itself: the
// shared secret is all a validator needs.
//
// A ticket is text:
//
//	hex(digest) || ts_hex8 || uid || "!" || tokens || "!" || data
//
// carried in a cookie (default name auth_tkt) as padded standard base64.
// Minter builds one, Verifier checks one, CookieValues finds the candidates
// in a Cookie header and DecodeValue reads a cookie value as tolerantly as
// the Apache module does. Where mod_auth_tkt is insecure (future timestamps
// accepted forever, empty user ids, IPv6 clients) this package is
// stricter; docs/ticket-format.md lists every difference.
//
// A token that starts with SessionPrefix carries the id of a server-side
// session (tktd's sessions on Redis): Tokens.Session reads it and
// Tokens.WithSession writes it. The ticket stays signed and stateless;
// the id only lets a validator that follows the sessions refuse a ticket
// whose session has ended.
//
// A token that starts with AuthPrefix records when the user last proved
// who they are interactively (Ticket.Authenticated writes it at login;
// Tokens.AuthTime reads it). Refreshes keep it, so a validator can demand
// a recent login, and Config.MaxLifetime caps how long refreshes keep a
// login going. Tokens.Groups is the token list without both reserved
// tokens: the user's groups.
//
// This package knows nothing of HTTP beyond the Cookie header's syntax. Its
// companion, package [github.com/tkt-sso/tkt/ticket/tkthttp], is
// mod_auth_tkt's behaviour as net/http middleware: login redirects, refresh
// cookies, URL tickets, guests, bearer tickets and the client address
// behind trusted proxies.
package ticket
