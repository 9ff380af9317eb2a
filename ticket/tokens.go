package ticket

import (
	"fmt"
	"strings"
	"unicode"
)

// Tokens is a ticket's comma-separated token list, as it stands in the
// ticket. Keeping it a string lets verification avoid allocating; List
// splits it when a caller wants a slice.
type Tokens string

// JoinTokens makes a Tokens from a list. Mint refuses tokens that could not
// be read back (see Tokens.validate).
func JoinTokens(list ...string) Tokens { return Tokens(strings.Join(list, ",")) }

// List returns the tokens, with empty elements dropped as mod_auth_tkt does.
func (t Tokens) List() []string {
	var out []string
	for tok := range strings.SplitSeq(string(t), ",") {
		if tok != "" {
			out = append(out, tok)
		}
	}
	return out
}

// Has reports whether tok is one of the tokens: exact, case-sensitive.
func (t Tokens) Has(tok string) bool {
	if tok == "" {
		return false
	}
	for s := range strings.SplitSeq(string(t), ",") {
		if s == tok {
			return true
		}
	}
	return false
}

// HasAny reports whether any of required is present; mod_auth_tkt ORs the
// TKTAuthToken directives of a location.
func (t Tokens) HasAny(required []string) bool {
	for _, r := range required {
		if t.Has(r) {
			return true
		}
	}
	return false
}

// validate refuses what a reader would split differently than written.
func (t Tokens) validate() error {
	if t == "" {
		return nil
	}
	for tok := range strings.SplitSeq(string(t), ",") {
		if err := CheckToken(tok); err != nil {
			return err
		}
	}
	return nil
}

// CheckToken reports why tok cannot stand in a ticket's token list, or nil:
// it must not be empty, and hold no '!', ',', whitespace or NUL.
func CheckToken(tok string) error {
	if tok == "" {
		return fmt.Errorf("%w: empty token in token list", ErrInvalid)
	}
	for _, r := range tok {
		if r == '!' || r == ',' || r == 0 || unicode.IsSpace(r) {
			return fmt.Errorf("%w: token %q contains %q (tokens may not hold '!', ',', whitespace or NUL)", ErrInvalid, tok, r)
		}
	}
	return nil
}
