package htpasswd

import (
	"context"
	"strconv"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// BenchmarkAuthenticate: the store's overhead over the hash is the gap
// between htpasswd-bcrypt and bcrypt-floor (the bare comparison of the
// same hash); htpasswd-sha1, nearly free to hash, shows that overhead
// alone. bcrypt at cost 10 (bcrypt.DefaultCost) lines up with the SQL
// store's figures.
func BenchmarkAuthenticate(b *testing.B) {
	const cost = bcrypt.DefaultCost
	dir := b.TempDir()
	flags := []string{"-B", "-C", strconv.Itoa(cost)}
	writeWithTool(b, dir+"/bcrypt", flags, account{"alice", "pw-alice"}, account{"bob", "pw-bob"})
	writeWithTool(b, dir+"/sha1", []string{"-s"}, account{"alice", "pw-alice"}, account{"bob", "pw-bob"})
	testenv.WriteFile(b, dir+"/groups", "staff: alice bob\n", 0o600)
	ctx := context.Background()

	for _, bc := range []struct{ name, file, user string }{
		{"htpasswd-bcrypt", "bcrypt", "alice"},
		{"htpasswd-bcrypt-unknown-user", "bcrypt", "mallory"},
		{"htpasswd-sha1", "sha1", "alice"},
	} {
		s := newStore(b, Config{Path: dir + "/" + bc.file, GroupPath: dir + "/groups"})
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				_, _ = s.Authenticate(ctx, bc.user, "pw-alice")
			}
		})
	}
	s := newStore(b, Config{Path: dir + "/bcrypt"})
	hash := []byte(s.table.Load().users["alice"])
	b.Run("bcrypt-floor", func(b *testing.B) {
		for b.Loop() {
			if err := bcrypt.CompareHashAndPassword(hash, []byte("pw-alice")); err != nil {
				b.Fatal(err)
			}
		}
	})
}
