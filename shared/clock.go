package shared

import (
	"errors"
	"sync/atomic"
	"time"
)

// lateSlack is how much later than its deadline a call may still be
// applied: what the offset to Redis's clock may be wrong by (half a round
// trip, and drift since it was learnt).
const lateSlack = 50 * time.Millisecond

// errLate: Redis found a call past its deadline and did not apply it. It
// is the sender's clock that was off, as the call was answered in time;
// the offset is learnt again from the answer.
var errLate = errors.New("call reached redis past its deadline (clock offset relearnt)")

// redisClock is what an instance knows of Redis's clock: the offset from
// its own, learnt from the time Redis gives with its answers. A call that
// must not be applied once its sender gave up on it carries a deadline in
// Redis's clock.
type redisClock struct {
	offset atomic.Int64 // Redis's clock minus ours, in microseconds
	known  atomic.Bool
}

// learn takes Redis's time (unix µs) from an answer to a call sent at sent
// and received at recv: Redis read it about halfway.
func (c *redisClock) learn(redisNow int64, sent, recv time.Time) {
	mid := sent.UnixMicro() + recv.Sub(sent).Microseconds()/2
	c.offset.Store(redisNow - mid)
	c.known.Store(true)
}

// deadline is when, in Redis's clock, a call sent at sent and given up
// after timeout must no longer be applied; 0 (none) until the offset is
// known.
func (c *redisClock) deadline(sent time.Time, timeout time.Duration) int64 {
	if !c.known.Load() {
		return 0
	}
	return sent.UnixMicro() + c.offset.Load() + (timeout + lateSlack).Microseconds()
}
