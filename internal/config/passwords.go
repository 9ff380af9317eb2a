package config

import (
	"fmt"
	"unicode/utf8"
)

// CheckPassword refuses a new password shorter than passwords.min_length,
// saying what is wanted; it never quotes the password.
func (p Passwords) CheckPassword(pw string) error {
	if n := utf8.RuneCountInString(pw); n < p.MinLength {
		return fmt.Errorf("the password is too short: %d characters, and passwords.min_length asks for at least %d", n, p.MinLength)
	}
	return nil
}
