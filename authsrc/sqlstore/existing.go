package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/tkt-sso/tkt/ticket"
)

// scanExisting reads the password query's row for the name typed, user:
// the hash alone, whose user is then named as typed, or the name as the
// database stores it and the hash. The stored name is what a database
// whose comparison ignores case or accents (MySQL's default collations)
// needs: "ALICE" finds alice's row there, and the ticket, the second
// factors, revocations and sessions must all know one alice. It must be a
// name a ticket can carry; one that cannot is a store error, as a group
// that cannot be a token is, rather than a login under another name.
func (s *Store) scanExisting(rows *sql.Rows, user string, hash *[]byte) (string, error) {
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	switch len(cols) {
	case 1:
		return user, rows.Scan(hash)
	case 2:
		var name sql.NullString
		if err := rows.Scan(&name, hash); err != nil {
			return "", err
		}
		if err := ticket.CheckUID(name.String); err != nil {
			return "", fmt.Errorf("password query: the name it returned for user %q: %w", user, err)
		}
		return name.String, nil
	}
	return "", fmt.Errorf("%w (it returns %d)", errColumns, len(cols))
}

// errColumns is a password query that returns neither one column nor two.
var errColumns = errors.New("password query returns the wrong columns: want the hash, or the name as stored and the hash")

// probe runs the password query for the empty name, which no login asks
// about, so that a query the database refuses (a table or column that is
// not there) or that returns the wrong columns stops tktd at start rather
// than every login after it. A MySQL query that returns the hash alone
// and compares names as the column's collation does gets a warning: the
// usual collations ignore case and accents, and then "ALICE" logs in with
// alice's password as a user apart from alice, without her second
// factors, revocations or sessions.
func (s *Store) probe(ctx context.Context, query string) error {
	rows, err := s.c.r.QueryContext(ctx, s.q.user, "")
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	switch {
	case len(cols) == 2:
	case len(cols) != 1:
		return fmt.Errorf("%w (it returns %d)", errColumns, len(cols))
	case s.d.kind == "mysql" && !exactCompare(query):
		s.log.Warn("the password query returns the hash alone: a login is named as typed, and where names compare as MySQL's usual collations do, ignoring case and accents, "+
			"ALICE logs in with alice's password as another user, without alice's second factors, revocations or sessions; "+
			"return the name as stored before the hash (SELECT login, pw_hash FROM ...) or compare exactly (login = ? COLLATE utf8mb4_bin)",
			"store", s.c.name)
	}
	return rows.Err()
}

// exactCompare guesses whether a MySQL query compares names byte for byte:
// a binary collation or the BINARY operator.
func exactCompare(query string) bool {
	q := strings.ToUpper(query)
	return strings.Contains(q, "_BIN") || strings.Contains(q, "BINARY")
}
