package redistest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tkt-sso/tkt/internal/testenv"
)

// Cluster is a Redis Cluster of the test's own: masters only, no
// replicas, the hash slots shared out by redis-cli --cluster create.
type Cluster struct {
	Nodes []*Server
	// Addrs are the nodes' addresses, what a cluster client is given.
	Addrs []string
}

// StartCluster starts n redis-server nodes (n >= 3, as redis-cli wants)
// in cluster mode, joins them into one cluster of n masters and waits
// until every node says the cluster is ok. The nodes stop when the test
// ends.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if n < 3 {
		tb.Fatalf("redistest: a Redis Cluster needs at least 3 masters, not %d", n)
	}
	bin := serverBinary(tb)
	cli := testenv.LookPath(tb, "redis-cli", "Debian package redis-tools, which redis-server brings")
	c := &Cluster{}
	for range n {
		s := &Server{Dir: tb.TempDir()}
		// Each node has a data port and a cluster bus port; the bus port
		// is set explicitly, as the default (data port + 10000) may be
		// taken or beyond 65535.
		err := testenv.RetryPorts(2, func(ports []int) error {
			return s.launch(bin, ports[0],
				"--cluster-enabled", "yes",
				"--cluster-config-file", "nodes.conf",
				"--cluster-port", strconv.Itoa(ports[1]),
				"--cluster-node-timeout", "5000")
		}, func(err error) bool { return errors.Is(err, errBind) })
		if err != nil {
			c.stop()
			tb.Fatal(err)
		}
		c.Nodes = append(c.Nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}
	tb.Cleanup(c.stop)

	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.waitOK(30 * time.Second); err != nil {
		tb.Fatal(err)
	}
	return c
}

// waitOK waits until every node reports cluster_state:ok and knows all
// the others: only then do clients find every slot served.
func (c *Cluster) waitOK(timeout time.Duration) error {
	want := "cluster_known_nodes:" + strconv.Itoa(len(c.Nodes))
	deadline := time.Now().Add(timeout)
	for _, s := range c.Nodes {
		rdb := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			info, err := rdb.ClusterInfo(ctx).Result()
			cancel()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, want) {
				break
			}
			if time.Now().After(deadline) {
				rdb.Close()
				return fmt.Errorf("cluster node %s not ok after %v: %v\n%s", s.Addr, timeout, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		rdb.Close()
	}
	return nil
}

func (c *Cluster) stop() {
	for _, s := range c.Nodes {
		s.Stop()
	}
}
