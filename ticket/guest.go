package ticket

// GuestToken marks a guest's ticket: one a validator issued to an
// anonymous visitor where guests are let in (TKTAuthGuestCookie, tktd's
// "continue as guest"), not to a user who proved who they are. Like
// SessionPrefix and AuthPrefix it is reserved: no required token may be
// it, tkt's validators take it out of the tokens they pass on, and a
// Verifier refuses a ticket carrying it unless Config.Guests says guests
// are let in. Validators that know nothing of it (mod_auth_tkt) see one
// more token, and so take a guest's ticket for a login.
const GuestToken = "tkt-guest"

// Guest reports whether the tokens mark a guest's ticket (GuestToken).
// It allocates nothing.
func (t Tokens) Guest() bool { return t.Has(GuestToken) }
