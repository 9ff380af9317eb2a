package ticket

import "errors"

// Errors a caller tells apart with errors.Is. The errors returned wrap one of
// these with a detail that never contains a secret or an expected digest.
var (
	// ErrNoTicket: the request carries no ticket at all.
	ErrNoTicket = errors.New("no ticket")
	// ErrMalformed: the value is not a ticket at all (bad encoding, too
	// short, missing separator, empty user id, non-hex digest).
	ErrMalformed = errors.New("malformed ticket")
	// ErrBadSignature: the digest does not match under any configured
	// secret: a forgery, a tampered ticket, another secret, or a ticket bound
	// to another client address.
	ErrBadSignature = errors.New("bad ticket signature")
	// ErrExpired: the signature is good but the ticket's time plus the
	// timeout has passed.
	ErrExpired = errors.New("ticket expired")
	// ErrFuture: the signature is good but the ticket's time lies further in
	// the future than the allowed clock skew.
	ErrFuture = errors.New("ticket time is in the future")
	// ErrIPMismatch: the ticket cannot be bound to this client address: it
	// was minted unbound for a location that binds, or the client is IPv6
	// and the digest type can only bind IPv4.
	ErrIPMismatch = errors.New("ticket does not match the client address")
	// ErrMissingToken: the ticket is valid but holds none of the required
	// tokens. This is an authorization failure (403), not a login prompt.
	ErrMissingToken = errors.New("ticket lacks a required token")
	// ErrGuest: the ticket is a guest's (GuestToken) and guests are not
	// let in here. It is no login: a caller treats it as no ticket.
	ErrGuest = errors.New("a guest's ticket, and guests are not let in here")
	// ErrUnknownDigest: a digest type name this package does not know.
	ErrUnknownDigest = errors.New("unknown digest type")
	// ErrInvalid: Mint refused its input because the ticket could not be
	// read back as written (a '!' in the user id, a ',' in a token, ...).
	ErrInvalid = errors.New("invalid ticket content")
	// ErrNoSecret: a Verifier or Mint without a secret.
	ErrNoSecret = errors.New("no secret configured")
)
