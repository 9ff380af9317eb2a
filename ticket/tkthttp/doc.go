// Package tkthttp protects net/http handlers with auth_tkt tickets: Apache
// mod_auth_tkt's per-location behaviour as middleware, built on package
// [github.com/tkt-sso/tkt/ticket] and the standard library only.
//
// Another Go service behind a tkt portal needs the shared secret and ten
// lines:
//
//	mw, err := tkthttp.New(tkthttp.Config{
//		Ticket:   ticket.Config{Digest: ticket.HMACSHA256, Secret: secret, Timeout: 2 * time.Hour, Refresh: 0.5},
//		LoginURL: "https://login.example.com/login",
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	http.Handle("/", mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		id, _ := tkthttp.IdentityFrom(r.Context())
//		fmt.Fprintf(w, "hello, %s\n", id.UID)
//	})))
//
// A browser without a valid ticket is redirected to the login URL with the
// original URL as the back parameter; an API client gets a 401 with a JSON
// reason; a ticket due for refresh, or signed with an old secret, is
// re-issued in a Set-Cookie. Config names the mod_auth_tkt directive each
// field stands for, and where tkthttp deliberately differs from the module.
//
// What a signature cannot say, a validator asks of tktd's shared state
// (package shared), from memory on every request: whether the ticket was
// revoked (Config.Revocation) and whether the server-side session it
// carries has ended (Config.Sessions).
//
// A ticket from tkt's portal records when the user last signed in
// (ticket.Tokens.AuthTime, in Identity.AuthTime): Config.MaxAuthAge sends
// an older login back to the portal to confirm who it is, and
// ticket.Config.MaxLifetime stops refreshes at the login's time plus that.
//
// The same package holds what any server in front of an application needs
// to agree on: who the client is behind trusted proxies (ClientAddrConfig),
// how an identity travels to a backend in request headers
// (IdentityHeaders), and the host allow-lists of URL tickets and redirects
// (HostList).
package tkthttp
