package redisstore_test

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// faultProxy is a TCP proxy in front of a real redis-server. Requests are
// always forwarded at once (so Redis executes them); it can delay the
// reply that follows a request containing a given byte string (a reply
// that arrives after the client's deadline: the command ran, the client
// saw a timeout), or cut every connection (a partition).
type faultProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	match []byte        // delay the reply to a request containing this
	delay time.Duration // how long
	cut   bool          // refuse and close every connection
	drop  []byte        // once: close the connection instead of sending the reply to a request containing this
	conns []net.Conn
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &faultProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.closeAll() })
	go p.serve()
	return p
}

func (p *faultProxy) Addr() string { return p.ln.Addr().String() }

func (p *faultProxy) delayReplyTo(match string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.match, p.delay = []byte(match), d
}

func (p *faultProxy) dropReplyOnce(match string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drop = []byte(match)
}

func (p *faultProxy) setCut(cut bool) {
	p.mu.Lock()
	p.cut = cut
	p.mu.Unlock()
	if cut {
		p.closeAll()
	}
}

func (p *faultProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		delayNext := make(chan time.Duration, 64)
		go func() { // client -> server, at once
			defer s.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					p.mu.Lock()
					var d time.Duration
					if len(p.match) > 0 && bytes.Contains(buf[:n], p.match) {
						d = p.delay
					}
					if len(p.drop) > 0 && bytes.Contains(buf[:n], p.drop) {
						p.drop = nil
						d = -1 // drop the reply
					}
					p.mu.Unlock()
					if d != 0 {
						select {
						case delayNext <- d:
						default:
						}
					}
					if _, err := s.Write(buf[:n]); err != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		go func() { // server -> client, maybe late
			defer c.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := s.Read(buf)
				if n > 0 {
					select {
					case d := <-delayNext:
						if d < 0 {
							c.Close() // the command ran; its reply never arrives
							return
						}
						time.Sleep(d)
					default:
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
				if err != nil {
					if err != io.EOF {
						return
					}
					return
				}
			}
		}()
	}
}
