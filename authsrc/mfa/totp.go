package mfa

import (
	"crypto/subtle"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: RFC 6238 as every authenticator app reads it.
const (
	Period = 30 * time.Second
	Digits = 6
	// Skew is how many steps either side of now a code may be from: one,
	// for a phone's clock a little off and a code typed at a step's end.
	Skew = 1
)

// newTOTPKey is the key of secret (nil: a fresh 160-bit one, RFC 4226's
// recommended size) for account at issuer.
func newTOTPKey(issuer, account string, secret []byte) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Secret: secret,
		Period: uint(Period / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
}

// Step is the TOTP time step of t.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// Code is secret's code (base32) for step.
func Code(secret string, step int64) (string, error) {
	return hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// matchStep reports the step within Skew of now whose code is code, or
// false. Every candidate is compared, in constant time, so that the time
// taken says nothing about which step (or digit) was close.
func matchStep(secret, code string, now time.Time) (int64, bool, error) {
	if !looksLikeTOTP(code) {
		return 0, false, nil
	}
	var found int64
	ok := 0
	for d := int64(-Skew); d <= Skew; d++ {
		step := Step(now) + d
		want, err := Code(secret, step)
		if err != nil {
			return 0, false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && ok == 0 {
			found, ok = step, 1
		}
	}
	return found, ok == 1, nil
}

// looksLikeTOTP: exactly Digits ASCII digits.
func looksLikeTOTP(code string) bool {
	if len(code) != Digits {
		return false
	}
	for i := range len(code) {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}
