package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/internal/testenv"
)

func TestRunning(t *testing.T) {
	url, prefix := "", ""
	t.Run("prefix", func(t *testing.T) {
		url, prefix = Running(t)
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		rdb := redis.NewClient(opt)
		t.Cleanup(func() { rdb.Close() })
		for i := range 150 { // more than one SCAN batch
			if err := rdb.Set(context.Background(), fmt.Sprintf("%sk%d", prefix, i), "v", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	})
	if url == "" {
		return // the subtest was skipped, saying why
	}
	// The subtest's cleanup deleted its keys.
	opt, _ := redis.ParseURL(url)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	keys, err := rdb.Keys(context.Background(), prefix+"*").Result()
	if err != nil || len(keys) != 0 {
		t.Errorf("after the test: %d keys under %s left, %v", len(keys), prefix, err)
	}
	if other := UniquePrefix(); other == prefix {
		t.Errorf("UniquePrefix repeated %q", other)
	}
}

// A private server answers, stops (connection refused), hangs when
// frozen and answers again when thawed, and restarts empty.
func TestServer(t *testing.T) {
	s := Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, ReadTimeout: 300 * time.Millisecond})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Freeze(); err != nil {
		t.Fatal(err)
	}
	err := rdb.Get(ctx, "k").Err()
	var ne net.Error
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("a frozen server: %v, want a timeout", err)
	}
	if err := s.Thaw(); err != nil {
		t.Fatal(err)
	}
	rdb2 := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer rdb2.Close()
	if v, err := rdb2.Get(ctx, "k").Result(); v != "v" || err != nil {
		t.Errorf("thawed: %q, %v", v, err)
	}
	s.Stop()
	if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		c.Close()
		t.Error("a stopped server accepts connections")
	}
	s.Restart(t)
	if err := rdb2.Get(ctx, "k").Err(); err != redis.Nil {
		t.Errorf("restarted: GET k = %v, want redis.Nil (empty)", err)
	}
}

// A cluster of three masters serves keys of every slot.
func TestCluster(t *testing.T) {
	c := StartCluster(t, 3)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	defer rdb.Close()
	ctx := context.Background()
	for i := range 30 {
		if err := rdb.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatalf("SET k%d: %v", i, err)
		}
	}
	var masters atomic.Int32 // ForEachMaster calls at once
	err := rdb.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		masters.Add(1)
		return nil
	})
	if err != nil || masters.Load() != 3 {
		t.Errorf("%d masters, %v", masters.Load(), err)
	}
	if err := DeletePrefix(ctx, rdb, "k"); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.DBSize(ctx).Result(); n != 0 || err != nil {
		t.Errorf("after DeletePrefix: DBSIZE %d, %v", n, err)
	}
}

// A failover client finds the master through the Sentinel, and follows it
// to the replica after a failover, which still has what was written.
func TestSentinel(t *testing.T) {
	d := StartSentinel(t)
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: SentinelMaster, SentinelAddrs: d.Addrs})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// WAIT: the replica has the write before it is promoted.
	if n, err := rdb.Wait(ctx, 1, 5*time.Second).Result(); n != 1 || err != nil {
		t.Fatalf("WAIT 1: %d, %v", n, err)
	}
	old := d.Master.Addr
	d.Failover(t)
	if d.Master.Addr == old {
		t.Fatalf("master still %s after Failover", old)
	}
	// The client's connections to the old master break at the switch;
	// it must then reach the new one by itself.
	testenv.WaitFor(t, "a write through the failover client", 10*time.Second, func() bool {
		return rdb.Set(ctx, "k2", "after", 0).Err() == nil
	})
	if got, err := rdb.Get(ctx, "k").Result(); got != "before" || err != nil {
		t.Errorf("after failover: GET k = %q, %v; want \"before\"", got, err)
	}
}
