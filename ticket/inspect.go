package ticket

import (
	"fmt"
)

// Inspection is a ticket read without a secret: nothing in it is verified.
type Inspection struct {
	Parsed
	// Raw is the ticket text the value decoded to.
	Raw string
	// Likely are the digest types whose length fits, most plausible first.
	// A 64-digit digest may be sha256 or hmac-sha256: only a secret tells.
	Likely []Digest
}

// Inspect decodes a cookie value and splits it for each digest length that
// fits, without verifying anything. It is for people debugging tickets
// (tktctl inspect), never for access decisions.
func Inspect(value string) (Inspection, error) {
	raw, err := DecodeValue(value)
	if err != nil {
		return Inspection{}, err
	}
	// Longest first: a shorter reading of a longer digest would take the
	// digest's tail for the timestamp, which is less plausible than the
	// other way round (a user id starting with 32+ hex digits).
	var firstErr error
	for _, d := range []Digest{SHA512, SHA256, MD5} {
		p, err := Parse(raw, d)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		in := Inspection{Parsed: p, Raw: raw, Likely: []Digest{d}}
		if d == SHA256 {
			in.Likely = append(in.Likely, HMACSHA256)
		}
		return in, nil
	}
	return Inspection{Raw: raw}, fmt.Errorf("not a ticket of any digest type: %w", firstErr)
}
