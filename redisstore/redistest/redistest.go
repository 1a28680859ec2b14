// Package redistest starts real redis-server processes for tests, on free
// 127.0.0.1 ports, without persistence, and stops them when the test ends:
// the Redis the tests of redisstore (and of code using it) run against, in
// place of a mock.
//
// When redis-server is not installed, the test is skipped with the command
// that installs it; under CI=true it fails instead, so that CI cannot pass
// by skipping.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// TB is the part of testing.TB the package uses.
type TB interface {
	Helper()
	Fatal(args ...any)
	Skip(args ...any)
	Cleanup(func())
}

// Server is a redis-server process started by [Start].
type Server struct {
	port int
	dir  string
	args []string
	cmd  *exec.Cmd
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Require skips t, or fails it under CI=true, when redis-server is not
// installed.
func Require(t TB) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed (CI=true): apt-get install -y redis-server")
		}
		t.Skip("redis-server is not installed: apt-get install -y redis-server")
	}
}

// Start starts a redis-server with the extra arguments given, for the
// test t: it is killed and its directory removed when t ends.
func Start(t TB, args ...string) *Server {
	t.Helper()
	Require(t)
	s, err := Launch(args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Remove)
	return s
}

// Launch starts a redis-server that outlives any one test; call Remove
// when done (a TestMain of shared servers does). Check [Require] first.
func Launch(args ...string) (*Server, error) {
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{port: port, dir: dir, args: args}
	if err := s.Restart(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Restart starts the server again on its port after [Server.Stop], empty:
// what a Redis without persistence is after a crash.
func (s *Server) Restart() error {
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
		if pong(s.Addr()) {
			return nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("redistest: redis-server on %s did not answer PING within 10 s", s.Addr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pong(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	fmt.Fprint(c, "PING\r\n")
	c.SetReadDeadline(time.Now().Add(time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.HasPrefix(line, "+PONG")
}

// Stop kills the server at once, as a crash would.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Remove stops the server and deletes its directory.
func (s *Server) Remove() {
	s.Stop()
	os.RemoveAll(s.dir)
}

// LaunchCluster starts three masters and joins them into a Redis Cluster
// (redis-cli --cluster create), waiting until every node reports it ok.
// Call Remove on each node when done. Check [Require] first.
func LaunchCluster() ([]*Server, error) {
	var nodes []*Server
	fail := func(err error) ([]*Server, error) {
		for _, n := range nodes {
			n.Remove()
		}
		return nil, err
	}
	for range 3 {
		n, err := Launch("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "3000")
		if err != nil {
			return fail(err)
		}
		nodes = append(nodes, n)
	}
	args := []string{"--cluster", "create"}
	for _, n := range nodes {
		args = append(args, n.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		return fail(fmt.Errorf("redistest: redis-cli --cluster create: %v: %s", err, out))
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range nodes {
		c := redis.NewClient(&redis.Options{Addr: n.Addr()})
		for {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				return fail(fmt.Errorf("redistest: cluster not ok within 30 s: %v", err))
			}
			time.Sleep(100 * time.Millisecond)
		}
		c.Close()
	}
	return nodes, nil
}

// Client returns a client of addrs (one address: a single node; several:
// a Cluster) configured as redisstore advises: deadlines from contexts,
// short timeouts. It is closed when t ends.
func Client(t TB, addrs ...string) redis.UniversalClient {
	c := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 addrs,
		ContextTimeoutEnabled: true,
		DialTimeout:           time.Second,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
		MaxRetries:            -1, // a test sees every failure
	})
	t.Cleanup(func() { c.Close() })
	return c
}
