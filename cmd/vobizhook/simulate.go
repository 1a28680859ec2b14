package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// simConfig is what simulate sends.
type simConfig struct {
	url          string
	token        string
	room         string
	participants int
	style        vobizhooktest.Style
	shuffle      bool
	duplicates   float64
	conferences  int
	concurrency  int
	seed         int64
	interval     time.Duration // pause of each worker between deliveries
	timeout      time.Duration
	verbose      bool
}

// job is one delivery to make.
type job struct {
	req        *http.Request
	delivery   vobizhooktest.Delivery
	conference int
}

// simReport is what simulate observed.
type simReport struct {
	conferences, events, duplicates int
	statuses                        map[int]int
	transportErrors                 int
	failures                        []string // the first few failure descriptions
	latencies                       []time.Duration
	elapsed                         time.Duration
	interrupted                     bool
}

func (r *simReport) sent() int { return r.events + r.duplicates }

func (r *simReport) failed() int {
	n := r.transportErrors
	for status, count := range r.statuses {
		if status < 200 || status > 299 {
			n += count
		}
	}
	return n
}

const maxFailuresShown = 5

func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("simulate", "-url URL [flags]",
		"Drives whole generated conferences against URL, as Vobiz would: signed with the\n"+
			"auth token when one is given, in the live or classic shape, optionally shuffled\n"+
			"and with duplicate deliveries. Reports what it sent, the status counts and the\n"+
			"latency percentiles; exits 1 if any delivery failed (error or non-2xx).", stdout, stderr)
	cfg := simConfig{}
	fs.StringVar(&cfg.url, "url", "", "callback `URL` to send to (required)")
	token := fs.String("auth-token", "", "Vobiz Auth `token` to sign with (default $"+envAuthToken+"); unsigned when empty")
	fs.StringVar(&cfg.room, "room", vobizhooktest.DefaultRoom, "conference `name` (numbered when -conferences > 1)")
	fs.IntVar(&cfg.participants, "participants", vobizhooktest.DefaultParticipants, "participants per conference")
	style := fs.String("style", string(vobizhooktest.Live), "callback shape: live or classic")
	fs.BoolVar(&cfg.shuffle, "shuffle", false, "deliver each conference's callbacks in a random order")
	fs.Float64Var(&cfg.duplicates, "duplicates", 0, "`probability` (0 to 1) that a delivery is sent twice, as a retry")
	fs.IntVar(&cfg.conferences, "conferences", 1, "number of conferences")
	fs.IntVar(&cfg.concurrency, "concurrency", 4, "deliveries in flight at once")
	seed := fs.Int64("seed", 0, "random `seed` (default: from the clock; printed for reproduction)")
	fs.DurationVar(&cfg.interval, "interval", 0, "pause of each sender between deliveries")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "per-request `timeout`")
	fs.BoolVar(&cfg.verbose, "v", false, "print every delivery")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(fs, "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if cfg.url == "" {
		return usageError(fs, "-url is required")
	}
	if _, err := vobizhook.BaseURL(cfg.url); err != nil {
		return usageError(fs, "-url: %v", err)
	}
	st, err := vobizhooktest.ParseStyle(*style)
	if err != nil {
		return usageError(fs, "-style: %v", err)
	}
	cfg.style = st
	switch {
	case cfg.participants < 1 || cfg.participants > vobizhooktest.MaxParticipants:
		return usageError(fs, "-participants %d: want 1 to %d", cfg.participants, vobizhooktest.MaxParticipants)
	case !(cfg.duplicates >= 0 && cfg.duplicates <= 1):
		return usageError(fs, "-duplicates %v: want a probability from 0 to 1", cfg.duplicates)
	case cfg.conferences < 1:
		return usageError(fs, "-conferences %d: want at least 1", cfg.conferences)
	case cfg.concurrency < 1 || cfg.concurrency > 1024:
		return usageError(fs, "-concurrency %d: want 1 to 1024", cfg.concurrency)
	case cfg.interval < 0 || cfg.timeout <= 0:
		return usageError(fs, "-interval and -timeout must not be negative, -timeout not zero")
	}
	cfg.token = authToken(*token)
	cfg.seed = *seed
	if !flagGiven(fs, "seed") {
		cfg.seed = time.Now().UnixNano()
	}

	describe(stdout, cfg)
	rep := simulate(ctx, cfg, stdout, stderr)
	report(stdout, cfg, rep)
	if rep.interrupted {
		fmt.Fprintln(stderr, "vobizhook simulate: interrupted")
		return exitFailure
	}
	if rep.failed() > 0 {
		return exitFailure
	}
	return exitOK
}

// flagGiven reports whether the flag name was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}

// describe prints what simulate is about to send.
func describe(w io.Writer, cfg simConfig) {
	var b strings.Builder
	fmt.Fprintf(&b, "simulate: %s of %s", plural(cfg.conferences, string(cfg.style)+" conference"), plural(cfg.participants, "participant"))
	if cfg.shuffle {
		b.WriteString(", shuffled")
	}
	if cfg.duplicates > 0 {
		fmt.Fprintf(&b, ", duplicates %.2f", cfg.duplicates)
	}
	if cfg.token != "" {
		b.WriteString(", signed")
	} else {
		b.WriteString(", unsigned")
	}
	fmt.Fprintf(&b, ", seed %d, to %s", cfg.seed, cfg.url)
	fmt.Fprintln(w, b.String())
}

// simulate sends every delivery of cfg's conferences with cfg.concurrency
// workers and gathers the results. It shows progress on stderr every second
// of a run longer than that.
func simulate(ctx context.Context, cfg simConfig, stdout, stderr io.Writer) *simReport {
	client := newClient(cfg.concurrency, cfg.timeout)
	defer client.CloseIdleConnections()
	rep := &simReport{statuses: map[int]int{}}
	var mu sync.Mutex
	var buildErr error
	start := time.Now()

	jobs := make(chan job, cfg.concurrency)
	var wg sync.WaitGroup
	for range cfg.concurrency {
		wg.Go(func() {
			for j := range jobs {
				res := deliver(ctx, client, j.req)
				mu.Lock()
				record(rep, j, res)
				if cfg.verbose {
					printDelivery(stdout, j, res)
				}
				mu.Unlock()
				if cfg.interval > 0 {
					select {
					case <-time.After(cfg.interval):
					case <-ctx.Done():
					}
				}
			}
		})
	}

	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-tick.C:
				mu.Lock()
				sent, failed := rep.sent(), rep.failed()
				mu.Unlock()
				fmt.Fprintf(stderr, "simulate: %d deliveries, %d failed, %s\n", sent, failed, time.Since(start).Round(time.Second))
			}
		}
	}()

produce:
	for k := range cfg.conferences {
		sc := vobizhooktest.Scenario{
			Room:         cfg.room,
			Participants: cfg.participants,
			Style:        cfg.style,
			Seed:         cfg.seed + int64(k),
			Shuffle:      cfg.shuffle,
			Duplicates:   cfg.duplicates,
		}
		if cfg.conferences > 1 {
			sc.Room = fmt.Sprintf("%s-%d", cfg.room, k+1)
		}
		deliveries, err := sc.Deliveries()
		if err != nil {
			buildErr = err
			break
		}
		opts := []vobizhooktest.Option{vobizhooktest.WithURL(cfg.url)}
		if cfg.token != "" {
			opts = append(opts, vobizhooktest.WithAuthToken(cfg.token))
		}
		built := map[int]*http.Request{}
		for _, d := range deliveries {
			r := built[d.Index]
			if r == nil {
				r, err = vobizhooktest.NewRequest(d.Event, opts...)
				if err != nil {
					buildErr = err
					break produce
				}
				built[d.Index] = r
			}
			select {
			case jobs <- job{req: r, delivery: d, conference: k}:
			case <-ctx.Done():
				break produce
			}
		}
		mu.Lock()
		rep.conferences++
		mu.Unlock()
	}
	close(jobs)
	wg.Wait()
	close(stopProgress)
	<-progressDone
	rep.elapsed = time.Since(start)
	rep.interrupted = ctx.Err() != nil
	if buildErr != nil { // cannot happen with validated flags; report it anyway
		rep.transportErrors++
		rep.failures = append(rep.failures, "building a request: "+buildErr.Error())
	}
	return rep
}

func record(rep *simReport, j job, res result) {
	if j.delivery.Duplicate {
		rep.duplicates++
	} else {
		rep.events++
	}
	if res.err != nil {
		rep.transportErrors++
	} else {
		rep.statuses[res.status]++
		rep.latencies = append(rep.latencies, res.latency)
	}
	if !res.ok() && len(rep.failures) < maxFailuresShown {
		rep.failures = append(rep.failures, fmt.Sprintf("%s %s call %s: %s",
			j.delivery.Event.Action, j.delivery.Event.ConferenceName, j.delivery.Event.CallUUID, res))
	}
}

func printDelivery(w io.Writer, j job, res result) {
	ev := j.delivery.Event
	dup := ""
	if j.delivery.Duplicate {
		dup = " (duplicate)"
	}
	member := ""
	if ev.MemberID != "" {
		member = " member " + ev.MemberID
	}
	fmt.Fprintf(w, "  %-5s %s%s call %s%s -> %s\n", ev.Action, ev.ConferenceName, member, ev.CallUUID, dup, res)
}

// report prints the summary.
func report(w io.Writer, cfg simConfig, rep *simReport) {
	fmt.Fprintf(w, "sent %s (%s + %s) of %s in %s\n",
		plural(rep.sent(), "delivery"), plural(rep.events, "event"), plural(rep.duplicates, "duplicate"),
		plural(rep.conferences, "conference"), roundDuration(rep.elapsed))
	codes := make([]int, 0, len(rep.statuses))
	for code := range rep.statuses {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	var parts []string
	for _, code := range codes {
		parts = append(parts, fmt.Sprintf("%d %s: %d", code, http.StatusText(code), rep.statuses[code]))
	}
	if rep.transportErrors > 0 {
		parts = append(parts, fmt.Sprintf("errors: %d", rep.transportErrors))
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	fmt.Fprintf(w, "status: %s\n", strings.Join(parts, ", "))
	if len(rep.latencies) > 0 {
		p := percentiles(rep.latencies, 50, 90, 99)
		fmt.Fprintf(w, "latency: p50 %s, p90 %s, p99 %s, max %s\n",
			roundDuration(p[0]), roundDuration(p[1]), roundDuration(p[2]), roundDuration(slices.Max(rep.latencies)))
	}
	if n := rep.failed(); n > 0 {
		fmt.Fprintf(w, "FAILED: %d of %d deliveries\n", n, rep.sent())
		for _, f := range rep.failures {
			fmt.Fprintf(w, "  %s\n", f)
		}
		if n > len(rep.failures) {
			fmt.Fprintf(w, "  ... and %d more\n", n-len(rep.failures))
		}
	}
}

// percentiles returns the nearest-rank percentiles ps of ds.
func percentiles(ds []time.Duration, ps ...int) []time.Duration {
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
		out[i] = sorted[max(rank, 1)-1]
	}
	return out
}

// plural returns "1 delivery", "2 deliveries", "0 events".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
