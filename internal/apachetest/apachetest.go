// Package apachetest starts a private Apache with mod_auth_tkt for tests, so
// that tkt's tickets, portal and middleware can be checked against the real
// module rather than against our reading of it.
//
// The harness installs nothing. When apache2 and mod_auth_tkt.so are present
// it writes its own ServerRoot in a fresh temporary directory, listens on free
// 127.0.0.1 ports only (one per virtual host: TKTAuthSecret and
// TKTAuthDigestType are server-level settings) and runs Apache in the
// foreground as a child process that t.Cleanup stops by its PID. When they are
// absent the test is skipped, or fails when CI=true (testenv.Need).
//
// Every URL of every virtual host runs a small CGI that reports what the
// module handed the backend (REMOTE_USER, REMOTE_USER_TOKENS, REMOTE_USER_DATA,
// AUTH_TYPE, REMOTE_ADDR, ...), keeping "unset" apart from "empty".
//
//	s := apachetest.Start(t, apachetest.Config{}) // DefaultVHosts
//	r := s.Do(t, apachetest.Request{VHost: "sha256", Path: "/sha256/", Cookie: value,
//		From: netip.MustParseAddr("127.0.0.2")})
//	// r.Status, r.Location, r.Cookie("auth_tkt"), *r.RemoteUser, *r.Tokens, *r.Data ...
package apachetest

// The secrets of the default virtual hosts. MainSecret contains spaces on
// purpose: the module hashes the configured string as it stands.
const (
	MainSecret  = "S1 apachetest secret 5d0c7a4e-2f1b-4c9a-8e3d-7b6a5f4e3d2c"
	WrongSecret = "S2-apachetest-wrong-secret-91a2b3c4" // no virtual host knows it
	NewSecret   = "S3-apachetest-rotated-secret-66ff0011"
)

// Config describes the Apache to start. Its zero value starts DefaultVHosts.
type Config struct {
	// VHosts are the virtual hosts, each on its own port. Nil means
	// DefaultVHosts().
	VHosts []VHost
	// Modules are extra Apache modules to load by name, e.g. "proxy" and
	// "proxy_http" for a vhost whose Extra lines proxy to a Go backend.
	Modules []string
	// Debug turns on TKTAuthDebug and auth_tkt:debug logging. The module
	// then logs expected digests, which is fine for a throw-away test
	// server and useless to anyone else.
	Debug bool
}

// VHost is one virtual host on its own loopback port.
type VHost struct {
	Name      string // how tests refer to it, e.g. "md5"
	Digest    string // TKTAuthDigestType: MD5, SHA256 or SHA512
	Secret    string // TKTAuthSecret
	OldSecret string // TKTAuthSecretOld; empty for none
	// Locations are the protected locations. Every other URL runs the
	// backend CGI unprotected (the login and unauth URLs among them).
	Locations []Location
	// Extra lines go inside <VirtualHost> after the locations.
	Extra []string
}

// Location is one protected <Location>. The harness writes "AuthType None"
// and "Require valid-user" before Directives. "$BASE" in a directive is
// replaced with the virtual host's own http://127.0.0.1:PORT, so login and
// unauth URLs can point back at it.
type Location struct {
	Path       string
	Directives []string
}

// DefaultVHosts returns md5, sha256 and sha512 virtual hosts with MainSecret,
// and an "oldsecret" MD5 host with NewSecret as its current secret and
// MainSecret as the old one. Each has DefaultLocations named after itself.
func DefaultVHosts() []VHost {
	vh := func(name, digest, secret, old string) VHost {
		return VHost{Name: name, Digest: digest, Secret: secret, OldSecret: old, Locations: DefaultLocations(name)}
	}
	return []VHost{
		vh("md5", "MD5", MainSecret, ""),
		vh("sha256", "SHA256", MainSecret, ""),
		vh("sha512", "SHA512", MainSecret, ""),
		vh("oldsecret", "MD5", NewSecret, MainSecret),
	}
}

// DefaultLocations are the locations of every default virtual host. All send
// a request without a valid ticket to $BASE/login.
//
//	/MAIN/             IP-bound, TKTAuthTimeout 2h, TKTAuthTimeoutRefresh 0.5
//	/tokens/           TKTAuthToken finance, TKTAuthToken admin (ORed), unauth URL $BASE/unauth
//	/noip/             TKTAuthIgnoreIP on
//	/short/            IP-bound, TKTAuthTimeout 60, TKTAuthTimeoutRefresh 0.5
//	/notimeout/        IP-bound, TKTAuthTimeout 0 (no time check)
//	/notimeout-noip/   TKTAuthTimeout 0, TKTAuthIgnoreIP on
func DefaultLocations(main string) []Location {
	const login = "TKTAuthLoginURL $BASE/login"
	return []Location{
		{Path: "/" + main + "/", Directives: []string{login, "TKTAuthTimeout 2h", "TKTAuthTimeoutRefresh 0.5"}},
		{Path: "/tokens/", Directives: []string{login, "TKTAuthUnauthURL $BASE/unauth", "TKTAuthToken finance", "TKTAuthToken admin"}},
		{Path: "/noip/", Directives: []string{login, "TKTAuthIgnoreIP on"}},
		{Path: "/short/", Directives: []string{login, "TKTAuthTimeout 60", "TKTAuthTimeoutRefresh 0.5"}},
		{Path: "/notimeout/", Directives: []string{login, "TKTAuthTimeout 0"}},
		{Path: "/notimeout-noip/", Directives: []string{login, "TKTAuthTimeout 0", "TKTAuthIgnoreIP on"}},
	}
}
