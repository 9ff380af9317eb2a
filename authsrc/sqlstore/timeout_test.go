package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tkt-sso/tkt/authsrc"
	"github.com/tkt-sso/tkt/authsrc/sqlstore"
)

// TestQueryTimeout: a database that hangs (here, a query that sleeps) gives
// "unavailable" once QueryTimeout or the caller's deadline, whichever comes
// first, has passed, not when the database gets round to answering.
func TestQueryTimeout(t *testing.T) {
	sleepy := map[string]string{
		"postgres": "SELECT 'x' FROM pg_sleep(5) WHERE $1 <> ''",
		"mariadb":  "SELECT 'x' FROM DUAL WHERE SLEEP(5) = 0 AND ? <> ''",
	}
	for kind, query := range sleepy {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t, kind)
			cfg := db.config()
			cfg.Queries = &sqlstore.Queries{Password: query}
			cfg.QueryTimeout = 300 * time.Millisecond
			s := openStore(t, cfg)

			tests := []struct {
				name   string
				caller time.Duration // 0: no caller deadline
				want   time.Duration
			}{
				{"QueryTimeout", 0, 300 * time.Millisecond},
				{"caller deadline", 100 * time.Millisecond, 100 * time.Millisecond},
			}
			for _, tt := range tests {
				ctx := context.Background()
				if tt.caller > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.caller)
					defer cancel()
				}
				start := time.Now()
				_, err := s.Authenticate(ctx, "alice", "pw")
				took := time.Since(start)
				if !errors.Is(err, authsrc.ErrUnavailable) {
					t.Errorf("%s: err = %v, want ErrUnavailable", tt.name, err)
				}
				if took < tt.want || took > tt.want+time.Second {
					t.Errorf("%s: answered after %v, want about %v", tt.name, took, tt.want)
				}
			}
		})
	}
}
