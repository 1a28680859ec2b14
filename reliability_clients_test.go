package vobizhook_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// rawRequest returns the wire form of a signed callback for srvURL.
func rawRequest(t testing.TB, callbackURL string, ev vobizhook.ConferenceEvent) (head, body []byte) {
	t.Helper()
	r := vobizhooktest.MustNewRequest(t, ev, vobizhooktest.WithURL(callbackURL), vobizhooktest.WithAuthToken(relToken))
	req := vobizhooktest.MustClientRequest(t, r)
	var buf bytes.Buffer
	require.NoError(t, req.Write(&buf))
	head, body, ok := bytes.Cut(buf.Bytes(), []byte("\r\n\r\n"))
	require.True(t, ok)
	return append(head, "\r\n\r\n"...), body
}

// Faults: clients that disconnect in the middle of the body (or of the
// headers). Nothing is dispatched, the server keeps serving, and no
// goroutine is left behind.
func TestReliabilityDisconnectMidBody(t *testing.T) {
	before := runtime.NumGoroutine()
	var disp dispatchLog
	h := &vobizhook.Handler{OnEnter: disp.fn, OnExit: disp.fn, OnOther: disp.fn}
	srv, sl := signedServer(t, h)
	sl.done = make(chan int, 1024)
	addr := srv.Listener.Addr().String()
	n := scale(64, 1000)
	var wg sync.WaitGroup
	var reached atomic.Int32 // requests that reached the Handler
	for i := range n {
		ev := enter
		ev.CallUUID = fmt.Sprintf("call-%d", i)
		head, body := rawRequest(t, h.Verifier.CallbackURL, ev)
		wg.Go(func() {
			conn, err := net.Dial("tcp", addr)
			if !assert.NoError(t, err) {
				return
			}
			defer conn.Close()
			var partial []byte
			if i%4 == 0 { // cut inside the headers
				partial = head[:len(head)/2]
			} else {
				partial = append(append([]byte{}, head...), body[:len(body)/2]...)
				reached.Add(1)
			}
			_, err = conn.Write(partial)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	for range reached.Load() {
		select {
		case code := <-sl.done:
			assert.Equal(t, http.StatusBadRequest, code, "a truncated body is refused")
		case <-time.After(5 * time.Second):
			t.Fatal("the server did not finish a request whose client went away")
		}
	}
	assert.Zero(t, disp.total(), "nothing dispatched")

	client := newClient(1, 5*time.Second)
	code, err := send(client, vobizhooktest.MustNewRequest(t, enter, vobizhooktest.WithURL(h.Verifier.CallbackURL), vobizhooktest.WithAuthToken(relToken)))
	require.NoError(t, err)
	assert.Equal(t, 200, code, "the server still serves")
	assert.Equal(t, 1, disp.total())
	client.CloseIdleConnections()
	srv.Close()
	checkNoLeak(t, before)
}

// hardenedServer is the http.Server configuration the README recommends,
// with the durations scaled down for the test.
func hardenedServer(h http.Handler, scaleDown time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second / scaleDown,
		ReadTimeout:       10 * time.Second / scaleDown,
		WriteTimeout:      10 * time.Second / scaleDown,
		IdleTimeout:       60 * time.Second / scaleDown,
	}
}

// Faults: a body, or headers, trickling in a byte at a time (slowloris).
// With the recommended http.Server timeouts the connection is cut off, the
// request is refused, and nothing is dispatched.
func TestReliabilitySlowClientCutOff(t *testing.T) {
	before := runtime.NumGoroutine()
	var disp dispatchLog
	h := &vobizhook.Handler{OnEnter: disp.fn, Verifier: &vobizhook.Verifier{AuthTokens: []string{relToken}}, Logger: slog.New(slog.DiscardHandler)}
	sl := &statusLog{next: h, done: make(chan int, 8)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := hardenedServer(sl, 40) // ReadHeaderTimeout 125 ms, ReadTimeout 250 ms
	h.Verifier.CallbackURL = "http://" + ln.Addr().String() + relPath
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	slow := enter
	slow.ConferenceName = strings.Repeat("x", 200) // a trickle of 5 s at least
	head, body := rawRequest(t, h.Verifier.CallbackURL, slow)
	tests := []struct {
		name     string
		upfront  []byte // written at once
		trickled []byte // then one byte every 20 ms
	}{
		{"body", head, body},
		{"headers", nil, head},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ln.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			start := time.Now()
			_, err = conn.Write(tt.upfront)
			require.NoError(t, err)
			// Read what the server answers, if anything, until it closes.
			answered := make(chan string, 1)
			go func() {
				all, _ := io.ReadAll(conn)
				answered <- string(all)
			}()
			cut := false
			for _, b := range tt.trickled {
				if _, err := conn.Write([]byte{b}); err != nil {
					cut = true
					break
				}
				select {
				case <-answered:
					cut = true
				case <-time.After(20 * time.Millisecond):
				}
				if cut {
					break
				}
			}
			require.True(t, cut, "the server waited for the whole trickle")
			assert.Less(t, time.Since(start), 2*time.Second, "cut off near ReadTimeout, not after the trickle")
		})
	}
	// The body case reached the Handler, which could not read the body.
	assert.Equal(t, http.StatusBadRequest, <-sl.done)
	assert.Zero(t, disp.total(), "nothing dispatched")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
	require.ErrorIs(t, <-served, http.ErrServerClosed)
	checkNoLeak(t, before)
}
