// Package vectors loads testdata/tickets.json, the reference tickets minted
// by Perl's Apache::AuthTkt and Python's paste.auth.auth_tkt with the real
// mod_auth_tkt's verdict on each, for the tests of every package that
// mints or reads tickets.
package vectors

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Vector is one reference case.
type Vector struct {
	ID   string `json:"id"`
	Desc string `json:"desc"`
	Mint struct {
		Secret string `json:"secret"`
		Digest string `json:"digest"`
		User   string `json:"user"`
		IP     string `json:"ip"`
		TS     int64  `json:"ts"`
		Tokens string `json:"tokens"`
		Data   string `json:"data"`
	} `json:"mint"`
	// Ref holds the hex of the ticket bytes each reference minted; nil
	// where that reference refused the input.
	Ref struct {
		Perl  *string `json:"perl"`
		Paste *string `json:"paste"`
	} `json:"reference_ticket_hex"`
	Request struct {
		ServerDigest  string   `json:"server_digest"`
		ClientIP      string   `json:"client_ip"`
		IgnoreIP      bool     `json:"ignore_ip"`
		Timeout       int64    `json:"timeout_seconds"`
		CookieValue   string   `json:"cookie_value"`
		CookieHeaders []string `json:"cookie_headers"`
	} `json:"request"`
	Mutation string `json:"mutation"`
	Apache   struct {
		Accepted bool    `json:"accepted"`
		User     *string `json:"remote_user"`
		Tokens   *string `json:"remote_user_tokens"`
		Data     *string `json:"remote_user_data"`
	} `json:"apache"`
}

// ApacheSecret is TKTAuthSecret of the Apache that judged the vectors.
const ApacheSecret = "S1 oracle secret 9f3b7c1e-4d2a-4b8e-a1f0-6c2d8e5b7a93"

// Load reads every vector, failing the test if the file is missing or
// suspiciously short.
func Load(tb testing.TB) []Vector {
	tb.Helper()
	_, here, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("vectors: cannot locate the source tree")
	}
	path := filepath.Join(filepath.Dir(here), "..", "..", "testdata", "tickets.json")
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var f struct {
		Vectors []Vector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	if len(f.Vectors) < 50 {
		tb.Fatalf("%s: only %d vectors", path, len(f.Vectors))
	}
	return f.Vectors
}

// ByID indexes the vectors by their ID.
func ByID(tb testing.TB) map[string]Vector {
	m := map[string]Vector{}
	for _, v := range Load(tb) {
		m[v.ID] = v
	}
	return m
}
