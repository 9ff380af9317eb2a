package sqlstore

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tkt-sso/tkt/authsrc"
)

// ErrInvalidName is returned for a user or group name that can't go into a
// ticket; the error says which rule it breaks.
var ErrInvalidName = errors.New("invalid name")

// ErrInvalidData is returned for user data that can't go into a ticket.
var ErrInvalidData = errors.New("invalid user data")

// Limits on what we store. Group names become ticket tokens and data rides
// in every cookie, whose whole size browsers cap near 4 KiB.
const (
	MaxGroupLen = 128
	MaxDataLen  = 1024
)

// CheckUserName reports why name can't be a tkt user, or nil. The ticket's
// uid ends at the first `!`, so `!` is out; control characters (NUL
// included) would end up in headers and logs; blanks at either end are
// refused because MySQL's PAD SPACE collations would match "bob " to "bob".
// Everything else, `*()\,=+<>#;"'` and any unicode, is a legal name.
func CheckUserName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: user name is empty", ErrInvalidName)
	case len(name) > authsrc.MaxUserLen:
		return fmt.Errorf("%w: user name is %d bytes long, the limit is %d", ErrInvalidName, len(name), authsrc.MaxUserLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: user name is not valid UTF-8", ErrInvalidName)
	case strings.ContainsRune(name, '!'):
		return fmt.Errorf("%w: user name %q contains '!', which ends the user id in a ticket", ErrInvalidName, name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: user name %q contains a control character", ErrInvalidName, name)
	case startsOrEndsBlank(name):
		return fmt.Errorf("%w: user name %q starts or ends with a blank", ErrInvalidName, name)
	}
	return nil
}

// CheckGroupName reports why name can't be a group, or nil. Groups become
// ticket tokens: a comma-separated list inside the `!`-separated ticket, and
// blanks around commas are stripped by some implementations.
func CheckGroupName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: group name is empty", ErrInvalidName)
	case len(name) > MaxGroupLen:
		return fmt.Errorf("%w: group name is %d bytes long, the limit is %d", ErrInvalidName, len(name), MaxGroupLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: group name is not valid UTF-8", ErrInvalidName)
	case strings.ContainsAny(name, "!,"):
		return fmt.Errorf("%w: group name %q contains '!' or ',', which separate ticket fields and tokens", ErrInvalidName, name)
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return fmt.Errorf("%w: group name %q contains a blank or control character", ErrInvalidName, name)
	}
	return nil
}

// validData reports why data can't be a ticket's user data, or nil.
func validData(data string) error {
	switch {
	case len(data) > MaxDataLen:
		return fmt.Errorf("%w: %d bytes long, the limit is %d", ErrInvalidData, len(data), MaxDataLen)
	case !utf8.ValidString(data):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidData)
	case strings.IndexByte(data, 0) >= 0:
		return fmt.Errorf("%w: contains a NUL byte", ErrInvalidData)
	}
	return nil
}

// validNewData is validData plus no control characters, for data we store
// ourselves: backends receive it in a header (REMOTE_USER_DATA, our
// forward-auth headers), where a line break is an injection. Data read from
// an existing database need only fit a ticket.
func validNewData(data string) error {
	if strings.IndexFunc(data, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: contains a control character", ErrInvalidData)
	}
	return validData(data)
}

// validPassword refuses what Authenticate would refuse anyway, so nobody is
// given a password they can never log in with.
func validPassword(password string) error {
	switch {
	case password == "":
		return errors.New("password is empty")
	case len(password) > authsrc.MaxPasswordLen:
		return fmt.Errorf("password is longer than %d bytes", authsrc.MaxPasswordLen)
	case strings.IndexByte(password, 0) >= 0:
		return errors.New("password contains a NUL byte")
	}
	return nil
}

// cleanGroups validates groups and returns them sorted without duplicates.
func cleanGroups(groups []string) ([]string, error) {
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		if err := CheckGroupName(g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return sortedSet(out), nil
}

func startsOrEndsBlank(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(first) || unicode.IsSpace(last)
}
