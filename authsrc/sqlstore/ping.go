package sqlstore

import "context"

// Ping checks that the database answers, for a readiness probe. It reads no
// user data and is bounded by the store's query timeout; a failure matches
// authsrc.ErrUnavailable, with credentials scrubbed as in every error.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.c.r.PingContext(ctx); err != nil {
		return s.unavailable(err)
	}
	return nil
}
