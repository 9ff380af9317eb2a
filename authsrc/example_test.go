package authsrc_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/bcrypt"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/htpasswd"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// A chain of stores asks each in turn, as Apache's AuthBasicProvider
// list does: here an htpasswd file with a group file, then tkt's own SQLite
// store. A wrong password and an unknown user get the same error.
func ExampleChain() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "authsrc-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	hash, _ := bcrypt.GenerateFromPassword([]byte("alice-pw"), bcrypt.MinCost)
	os.WriteFile(filepath.Join(dir, "users"), []byte("alice:"+string(hash)+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "groups"), []byte("staff: alice\n"), 0o600)
	files, err := htpasswd.New(htpasswd.Config{Path: filepath.Join(dir, "users"), GroupPath: filepath.Join(dir, "groups")})
	if err != nil {
		panic(err)
	}

	db, err := sqlstore.OpenDataDir(ctx, dir) // users.db, created and migrated
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.AddUser(ctx, "bob", "bob-pw", []string{"finance"}, "Bob Example"); err != nil {
		panic(err)
	}

	stores := authsrc.Chain(
		authsrc.Named{Name: "htpasswd", Source: files},
		authsrc.Named{Name: "sqlite", Source: db},
	)
	for _, try := range [][2]string{{"alice", "alice-pw"}, {"bob", "bob-pw"}, {"bob", "wrong"}, {"nobody", "x"}} {
		id, err := stores.Authenticate(ctx, try[0], try[1])
		switch {
		case errors.Is(err, authsrc.ErrInvalidCredentials):
			fmt.Println(try[0], "refused:", err)
		case err != nil: // errors.Is(err, authsrc.ErrUnavailable): fail closed
			fmt.Println(try[0], "store down:", err)
		default:
			fmt.Printf("%s %v %q\n", id.User, id.Groups, id.Data)
		}
	}
	// Output:
	// alice [staff] ""
	// bob [finance] "Bob Example"
	// bob refused: invalid user name or password
	// nobody refused: invalid user name or password
}
