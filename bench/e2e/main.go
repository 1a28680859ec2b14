// Command e2e measures vobizhook end to end: a real http.Server on 127.0.0.1
// serving a signed vobizhook.Handler and a bare handler that only answers
// 200, each round running both, in a shuffled order. Concurrent clients keep
// HTTP/1.1 connections busy with signed callbacks (a fresh nonce each, so
// replay protection never short-cuts), and each round reports requests/s
// and latency percentiles. The summary gives medians, and the ratio
// vobizhook/bare taken within each round: its median over rounds against
// the target (at least 0.90) and its range.
//
//	cd bench && go run ./e2e [-rounds 10] [-duration 3s] [-concurrency 8]
//
// Client and server share the machine, so the ratio, not the absolute rate,
// is the result; both sides pay the same client cost.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vobizhook/vobizhook"
)

const (
	token       = "e2e-auth-token-0123456789abcdef"
	callbackURL = "https://app.example/conference-events"
	body        = "ConferenceAction=enter&ConferenceUUID=3f9a1b2c-44de-4f0a-b832-7c0a12345678" +
		"&ConferenceName=WeeklyStandup&CallUUID=9a0e0208-d01a-4572-9a04-fe583a05ac53" +
		"&From=918071387423&To=919624705678&ConferenceCurrentSize=3&Timestamp=2026-05-19+10%3A32%3A15"
)

type result struct {
	rps      float64
	p50, p99 time.Duration
	errors   int64
}

func main() {
	rounds := flag.Int("rounds", 10, "rounds, each running both handlers in a shuffled order")
	duration := flag.Duration("duration", 3*time.Second, "length of a round")
	concurrency := flag.Int("concurrency", 8, "connections kept busy")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	var dispatched atomic.Int64
	vh := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: callbackURL},
		OnEnter:  func(context.Context, vobizhook.ConferenceEvent) error { dispatched.Add(1); return nil },
		Logger:   slog.New(slog.DiscardHandler),
	}
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
	targets := []struct {
		name string
		h    http.Handler
	}{{"vobizhook", vh}, {"bare", bare}}

	var nonce atomic.Uint64
	nonce.Store(10_000_000_000_000_000_000) // 20 digits, like Vobiz's nonces
	results := map[string][]result{}
	var ratios []float64
	for round := range *rounds {
		order := rand.Perm(len(targets))
		rps := map[string]float64{}
		for _, i := range order {
			t := targets[i]
			res, err := runRound(t.h, *duration, *concurrency, &nonce)
			if err != nil {
				fmt.Fprintln(os.Stderr, "e2e:", err)
				pprof.StopCPUProfile()
				os.Exit(1)
			}
			results[t.name] = append(results[t.name], res)
			rps[t.name] = res.rps
			fmt.Printf("round %d %-9s %8.0f req/s  p50 %-9v p99 %-9v errors %d\n",
				round+1, t.name, res.rps, res.p50.Round(time.Microsecond), res.p99.Round(time.Microsecond), res.errors)
		}
		ratios = append(ratios, rps["vobizhook"]/rps["bare"])
	}

	fmt.Println()
	med := map[string]result{}
	for _, t := range targets {
		rs := results[t.name]
		m := result{
			rps: median(rs, func(r result) float64 { return r.rps }),
			p50: time.Duration(median(rs, func(r result) float64 { return float64(r.p50) })),
			p99: time.Duration(median(rs, func(r result) float64 { return float64(r.p99) })),
		}
		med[t.name] = m
		lo := slices.MinFunc(rs, func(a, b result) int { return cmpF(a.rps, b.rps) }).rps
		hi := slices.MaxFunc(rs, func(a, b result) int { return cmpF(a.rps, b.rps) }).rps
		fmt.Printf("median %-9s %8.0f req/s (range %.0f-%.0f)  p50 %v  p99 %v\n",
			t.name, m.rps, lo, hi, m.p50.Round(time.Microsecond), m.p99.Round(time.Microsecond))
	}
	ratio := medianOf(ratios)
	verdict := "met"
	if ratio < 0.9 {
		verdict = "NOT met"
	}
	fmt.Printf("\nthroughput vobizhook/bare, per round: median %.2f, range %.2f-%.2f over %d rounds (target >= 0.90: %s); %d callbacks dispatched\n",
		ratio, slices.Min(ratios), slices.Max(ratios), len(ratios), verdict, dispatched.Load())
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func median(rs []result, f func(result) float64) float64 {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	return medianOf(vs)
}

func medianOf(vs []float64) float64 {
	vs = slices.Clone(vs)
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

// runRound serves h on a fresh loopback server and keeps concurrency
// connections busy for d.
func runRound(h http.Handler, d time.Duration, concurrency int, nonce *atomic.Uint64) (result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		latencies []time.Duration
		errs      atomic.Int64
		firstErr  error
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			lat, err := client(ln.Addr().String(), deadline, nonce)
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, lat...)
			if err != nil {
				errs.Add(1)
				if firstErr == nil {
					firstErr = err
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(latencies) == 0 {
		return result{}, fmt.Errorf("no request completed: %v", firstErr)
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
	return result{
		rps:    float64(len(latencies)) / elapsed.Seconds(),
		p50:    pct(0.50),
		p99:    pct(0.99),
		errors: errs.Load(),
	}, nil
}

// client sends signed callbacks over one keep-alive connection until
// deadline and returns each request's latency.
func client(addr string, deadline time.Time, nonce *atomic.Uint64) ([]time.Duration, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	bw := bufio.NewWriter(conn)
	var lat []time.Duration
	for time.Now().Before(deadline) {
		n := strconv.FormatUint(nonce.Add(1), 10)
		sig := vobizhook.SignatureV3(token, callbackURL, n)
		t0 := time.Now()
		fmt.Fprintf(bw, "POST /conference-events HTTP/1.1\r\nHost: app.example\r\nUser-Agent: Vobiz\r\n"+
			"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n"+
			"X-Vobiz-Signature-V3: %s\r\nX-Vobiz-Signature-V3-Nonce: %s\r\n\r\n%s", len(body), sig, n, body)
		if err := bw.Flush(); err != nil {
			return lat, err
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return lat, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return lat, errors.New("status " + resp.Status)
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, nil
}
