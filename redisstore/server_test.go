package redisstore_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The tests run against real redis-server processes they start themselves
// on free loopback ports, without persistence: one single node and one
// 3-master Cluster shared by the package's tests (each test uses keys of
// its own), and dedicated servers for the fault tests, which stop and
// restart theirs.

// redisServer is a redis-server process started by a test.
type redisServer struct {
	port int
	dir  string
	args []string
	cmd  *exec.Cmd
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// needRedis skips the test, or fails it under CI=true, when redis-server
// is not installed.
func needRedis(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed (CI=true): apt-get install -y redis-server")
		}
		t.Skip("redis-server is not installed: apt-get install -y redis-server")
	}
	return path
}

// startRedis starts a redis-server on a free port for one test, and
// removes it when the test ends.
func startRedis(t testing.TB, extra ...string) *redisServer {
	t.Helper()
	needRedis(t)
	s, err := launch(extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.remove)
	return s
}

// launch starts a redis-server on a free port.
func launch(extra ...string) (*redisServer, error) {
	dir, err := os.MkdirTemp("", "redisstore-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &redisServer{port: port, dir: dir, args: extra}
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *redisServer) start() error {
	args := append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning",
	}, s.args...)
	s.cmd = exec.Command("redis-server", args...)
	s.cmd.Dir = s.dir
	if err := s.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr(), 100*time.Millisecond)
		if err == nil {
			fmt.Fprint(c, "PING\r\n")
			c.SetReadDeadline(time.Now().Add(time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "+PONG") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("redis-server on %s did not answer PING within 10 s", s.addr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server at once, as a crash would.
func (s *redisServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

func (s *redisServer) remove() {
	s.stop()
	os.RemoveAll(s.dir)
}

// newClient returns a client of addrs (one: a single node; several: a
// Cluster) with deadlines taken from contexts, as the README advises.
func newClient(t testing.TB, addrs ...string) redis.UniversalClient {
	t.Helper()
	c := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 addrs,
		ContextTimeoutEnabled: true,
		DialTimeout:           time.Second,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
		MaxRetries:            -1, // the tests see every failure
	})
	t.Cleanup(func() { c.Close() })
	return c
}

var shared struct {
	once    sync.Once
	single  *redisServer
	cluster []*redisServer
	err     error
}

// sharedServers returns the package's single node and Cluster, started on
// first use.
func sharedServers(t testing.TB) (single string, cluster []string) {
	t.Helper()
	needRedis(t)
	shared.once.Do(func() {
		if shared.single, shared.err = launch(); shared.err != nil {
			return
		}
		for range 3 {
			node, err := launch("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "3000")
			if err != nil {
				shared.err = err
				return
			}
			shared.cluster = append(shared.cluster, node)
		}
		shared.err = createCluster(shared.cluster)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	for _, s := range shared.cluster {
		cluster = append(cluster, s.addr())
	}
	return shared.single.addr(), cluster
}

func stopShared() {
	if shared.single != nil {
		shared.single.remove()
	}
	for _, s := range shared.cluster {
		s.remove()
	}
}

// createCluster joins three masters into a Cluster and waits until every
// node reports it ok.
func createCluster(nodes []*redisServer) error {
	args := []string{"--cluster", "create"}
	for _, n := range nodes {
		args = append(args, n.addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("redis-cli --cluster create: %v: %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range nodes {
		c := redis.NewClient(&redis.Options{Addr: n.addr()})
		for {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				return fmt.Errorf("cluster not ok within 30 s: %v %s", err, info)
			}
			time.Sleep(100 * time.Millisecond)
		}
		c.Close()
	}
	return nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopShared()
	os.Exit(code)
}
