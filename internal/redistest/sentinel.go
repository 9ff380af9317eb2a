package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// SentinelMaster is the name the test's Sentinel monitors its master by.
const SentinelMaster = "mymaster"

// Sentinels is a Redis Sentinel deployment of the test's own: a master,
// one replica and one Sentinel watching them with a quorum of one, so
// that Failover needs no vote from anyone else.
type Sentinels struct {
	Master, Replica, Sentinel *Server
	// Addrs are the Sentinels' addresses, what a failover client is
	// given with SentinelMaster.
	Addrs []string
	// Password is the Sentinel's own (requirepass), "" for none.
	Password string
}

// StartSentinel starts the master, the replica and the Sentinel, waits
// until the Sentinel knows the replica (only then can it fail over), and
// stops them all when the test ends.
func StartSentinel(tb testing.TB) *Sentinels {
	tb.Helper()
	return startSentinel(tb, "")
}

// StartSentinelAuth is StartSentinel with a Sentinel that asks password
// of its clients (requirepass in sentinel.conf); the master and the
// replica ask none.
func StartSentinelAuth(tb testing.TB, password string) *Sentinels {
	tb.Helper()
	return startSentinel(tb, password)
}

func startSentinel(tb testing.TB, password string) *Sentinels {
	tb.Helper()
	bin := serverBinary(tb)
	d := &Sentinels{Password: password}
	tb.Cleanup(d.stop)
	start := func(s *Server, extra ...func(port int) []string) {
		tb.Helper()
		err := testenv.RetryPorts(1, func(ports []int) error {
			var args []string
			for _, e := range extra {
				args = append(args, e(ports[0])...)
			}
			return s.launch(bin, ports[0], args...)
		}, func(err error) bool { return errors.Is(err, errBind) })
		if err != nil {
			tb.Fatal(err)
		}
	}
	d.Master = &Server{Dir: tb.TempDir()}
	start(d.Master)
	d.Replica = &Server{Dir: tb.TempDir()}
	host, port, _ := net.SplitHostPort(d.Master.Addr)
	start(d.Replica, func(int) []string { return []string{"--replicaof", host, port} })

	// A Sentinel rewrites its configuration file, so it gets one of its
	// own in its directory.
	d.Sentinel = &Server{Dir: tb.TempDir()}
	d.Sentinel.sentinelConf = filepath.Join(d.Sentinel.Dir, "sentinel.conf")
	conf := fmt.Sprintf("sentinel monitor %s %s %s 1\n"+
		"sentinel down-after-milliseconds %[1]s 1000\n"+
		"sentinel failover-timeout %[1]s 5000\n", SentinelMaster, host, port)
	if password != "" {
		conf += "requirepass " + password + "\n"
	}
	if err := os.WriteFile(d.Sentinel.sentinelConf, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	start(d.Sentinel)
	d.Addrs = []string{d.Sentinel.Addr}

	err := d.waitMaster(d.Master.Addr, func(ctx context.Context, sc *redis.SentinelClient) (bool, error) {
		replicas, err := sc.Replicas(ctx, SentinelMaster).Result()
		return len(replicas) == 1, err
	})
	if err != nil {
		tb.Fatal(err)
	}
	// Sentinel lists a replica as soon as it connects; writes reach it,
	// and WAIT counts it, only once its first full sync is done, which on
	// a busy machine takes seconds.
	rdb := redis.NewClient(&redis.Options{Addr: d.Replica.Addr})
	defer rdb.Close()
	testenv.WaitFor(tb, "the replica's first sync with the master", 30*time.Second, func() bool {
		info, err := rdb.Info(context.Background(), "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	})
	return d
}

// Failover has the Sentinel promote the replica, and waits until the
// Sentinel names it as the master and the replica says it is one. The old
// master becomes a replica of the new one.
func (d *Sentinels) Failover(tb testing.TB) {
	tb.Helper()
	sc := redis.NewSentinelClient(&redis.Options{Addr: d.Sentinel.Addr, Password: d.Password})
	defer sc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sc.Failover(ctx, SentinelMaster).Err(); err != nil {
		tb.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	err := d.waitMaster(d.Replica.Addr, func(ctx context.Context, _ *redis.SentinelClient) (bool, error) {
		rdb := redis.NewClient(&redis.Options{Addr: d.Replica.Addr, MaxRetries: -1})
		defer rdb.Close()
		role, err := rdb.Do(ctx, "ROLE").Slice()
		return err == nil && len(role) > 0 && role[0] == "master", err
	})
	if err != nil {
		tb.Fatal(err)
	}
	d.Master, d.Replica = d.Replica, d.Master
}

// waitMaster waits up to 15 s until the Sentinel names want as the
// master and ready says yes.
func (d *Sentinels) waitMaster(want string, ready func(context.Context, *redis.SentinelClient) (bool, error)) error {
	sc := redis.NewSentinelClient(&redis.Options{Addr: d.Sentinel.Addr, Password: d.Password, MaxRetries: -1})
	defer sc.Close()
	var got []string
	var err error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		got, err = sc.GetMasterAddrByName(ctx, SentinelMaster).Result()
		ok := false
		if err == nil && len(got) == 2 && net.JoinHostPort(got[0], got[1]) == want {
			ok, err = ready(ctx, sc)
		}
		cancel()
		if ok {
			return nil
		}
	}
	return fmt.Errorf("sentinel %s: master %v, want %s, after 15 s: %v\n%s", d.Sentinel.Addr, got, want, err, testenv.Tail(filepath.Join(d.Sentinel.Dir, "redis.log"), 20))
}

func (d *Sentinels) stop() {
	for _, s := range []*Server{d.Sentinel, d.Replica, d.Master} {
		if s != nil && s.cmd != nil {
			s.Stop()
		}
	}
}
