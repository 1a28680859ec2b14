package redisstore_test

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/redisstore"
	"github.com/vobizhook/vobizhook/track"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

var prefixes atomic.Int64

// newStore returns a Store of its own keys (a fresh prefix) on addrs.
func newStore(t testing.TB, addrs ...string) *redisstore.Store {
	return redisstore.New(newClient(t, addrs...), redisstore.Options{Prefix: "t" + strconv.FormatInt(prefixes.Add(1), 10) + ":"})
}

// topologies runs fn against the shared single node and the shared
// 3-master Cluster.
func topologies(t *testing.T, fn func(t *testing.T, addrs []string)) {
	single, cluster := sharedServers(t)
	t.Run("single", func(t *testing.T) { fn(t, []string{single}) })
	t.Run("cluster", func(t *testing.T) { fn(t, cluster) })
}

func TestNonceStoreConformance(t *testing.T) {
	topologies(t, func(t *testing.T, addrs []string) {
		vobizhooktest.TestNonceStore(t, func(t *testing.T) vobizhook.NonceStore { return newStore(t, addrs...).Nonces() })
	})
}

func TestTrackStoreConformance(t *testing.T) {
	topologies(t, func(t *testing.T, addrs []string) {
		vobizhooktest.TestTrackStore(t, func(t *testing.T) track.Store { return newStore(t, addrs...).Conferences() })
	})
}
