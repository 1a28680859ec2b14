package redisstore_test

import (
	"os"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/vobizhook/vobizhook/redisstore/redistest"
)

// The tests run against real redis-server processes (package redistest):
// one single node and one 3-master Cluster shared by the package's tests
// (each test uses keys of its own), and dedicated servers for the fault
// tests, which stop and restart theirs.

func startRedis(t testing.TB) *redistest.Server { return redistest.Start(t) }

func newClient(t testing.TB, addrs ...string) redis.UniversalClient {
	return redistest.Client(t, addrs...)
}

var shared struct {
	once    sync.Once
	single  *redistest.Server
	cluster []*redistest.Server
	err     error
}

// sharedServers returns the package's single node and Cluster, started on
// first use.
func sharedServers(t testing.TB) (single string, cluster []string) {
	t.Helper()
	redistest.Require(t)
	shared.once.Do(func() {
		if shared.single, shared.err = redistest.Launch(); shared.err == nil {
			shared.cluster, shared.err = redistest.LaunchCluster()
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	for _, s := range shared.cluster {
		cluster = append(cluster, s.Addr())
	}
	return shared.single.Addr(), cluster
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.single != nil {
		shared.single.Remove()
	}
	for _, s := range shared.cluster {
		s.Remove()
	}
	os.Exit(code)
}
