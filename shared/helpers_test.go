package shared_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/internal/redistest"
	"github.com/tkt-sso/tkt/internal/testenv"
	"github.com/tkt-sso/tkt/shared"
	"github.com/tkt-sso/tkt/ticket/tkthttp"
)

// deployment is a Redis the tests open clients on: the machine's own
// under a prefix of the test's, or a Cluster of the test's own.
type deployment struct {
	base shared.Config // URL or Addrs, KeyPrefix
	raw  redis.UniversalClient
}

// running is the machine's Redis under a key prefix of the test's own.
func running(t *testing.T) deployment {
	url, prefix := redistest.Running(t)
	return newDeployment(t, shared.Config{URL: url, KeyPrefix: prefix})
}

// cluster is a three-master Redis Cluster of the test's own.
func cluster(t *testing.T) deployment {
	c := redistest.StartCluster(t, 3)
	return newDeployment(t, shared.Config{Addrs: c.Addrs, Cluster: true, KeyPrefix: redistest.UniquePrefix()})
}

// sentinel is a master, a replica and a Sentinel of the test's own.
func sentinel(t *testing.T) (deployment, *redistest.Sentinels) {
	s := redistest.StartSentinel(t)
	return newDeployment(t, shared.Config{Addrs: s.Addrs, MasterName: redistest.SentinelMaster, KeyPrefix: redistest.UniquePrefix()}), s
}

// private is a redis-server of the test's own, to stop and freeze.
func private(t *testing.T) (deployment, *redistest.Server) {
	s := redistest.Start(t)
	return newDeployment(t, shared.Config{URL: s.URL}), s
}

func newDeployment(t *testing.T, base shared.Config) deployment {
	var raw redis.UniversalClient
	if base.URL != "" {
		opt, err := redis.ParseURL(base.URL)
		if err != nil {
			t.Fatal(err)
		}
		opt.MaxRetries = -1
		raw = redis.NewClient(opt)
	} else if base.MasterName != "" {
		raw = redis.NewFailoverClient(&redis.FailoverOptions{MasterName: base.MasterName, SentinelAddrs: base.Addrs, SentinelPassword: base.SentinelPassword})
	} else {
		raw = redis.NewClusterClient(&redis.ClusterOptions{Addrs: base.Addrs})
	}
	t.Cleanup(func() { raw.Close() })
	// Quick timings, so that outages and resyncs take a test seconds.
	base.ResyncInterval = 200 * time.Millisecond
	base.CallTimeout = 300 * time.Millisecond
	base.StaleAfter = time.Second
	base.TicketTimeout = 2 * time.Hour
	return deployment{base: base, raw: raw}
}

// key is the revocations key under the deployment's prefix.
func (d deployment) key() string {
	p := d.base.KeyPrefix
	if p == "" {
		p = shared.DefaultKeyPrefix
	}
	return p + "{revocations}"
}

// client opens a Client as one tktd instance would, with cfg changed by
// mod; it closes when the test ends.
func (d deployment) client(t *testing.T, log *slog.Logger, mod func(*shared.Config)) *shared.Client {
	t.Helper()
	cfg := d.base
	cfg.Logger = log
	if mod != nil {
		mod(&cfg)
	}
	return redistest.Open(t, cfg)
}

// instance is a client and its Revocations.
func (d deployment) instance(t *testing.T, log *slog.Logger, mod func(*shared.Config)) (*shared.Client, *shared.Revocations) {
	t.Helper()
	c := d.client(t, log, mod)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c, c.Revocations(ctx)
}

// namedTest is one test of a suite that runs on several deployments.
type namedTest struct {
	name string
	f    func(*testing.T, deployment)
}

// runSuite runs the tests, each on a deployment of its own.
func runSuite(t *testing.T, open func(*testing.T) deployment, tests []namedTest) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, open(t)) })
	}
}

// clusterEach is one Redis Cluster for a suite, a key prefix per test.
func clusterEach(t *testing.T) func(*testing.T) deployment {
	return each(cluster(t))
}

// sentinelEach is one Sentinel deployment for a suite, a key prefix per
// test.
func sentinelEach(t *testing.T) func(*testing.T) deployment {
	d, _ := sentinel(t)
	return each(d)
}

// each gives every test of a suite d under a key prefix of its own.
func each(d deployment) func(*testing.T) deployment {
	return func(*testing.T) deployment {
		each := d
		each.base.KeyPrefix = redistest.UniquePrefix()
		return each
	}
}

// textLog is a logger writing text lines into a buffer the test reads.
func textLog() (*slog.Logger, *testenv.SyncBuffer) {
	var b testenv.SyncBuffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

// verdict names a Check result for messages: "stands", "revoked",
// "unavailable" or the unexpected error.
func verdict(err error) string {
	switch {
	case err == nil:
		return "stands"
	case errors.Is(err, tkthttp.ErrRevoked):
		return "revoked"
	case errors.Is(err, tkthttp.ErrRevocationUnavailable):
		return "unavailable"
	}
	return err.Error()
}

// waitVerdict waits until r.Check(uid, issued) gives want, and returns
// how long that took.
func waitVerdict(t *testing.T, r *shared.Revocations, uid string, issued time.Time, want string, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for verdict(r.Check(uid, issued)) != want {
		if time.Since(start) > timeout {
			t.Fatalf("Check(%q, %v) = %s after %v, want %s", uid, issued, verdict(r.Check(uid, issued)), timeout, want)
		}
		time.Sleep(50 * time.Microsecond)
	}
	return time.Since(start)
}
