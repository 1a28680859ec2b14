package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
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
	// oneDuplicate makes sure each conference has at least one duplicate
	// delivery, so that a short demo always shows one.
	oneDuplicate bool
	conferences  int
	concurrency  int
	seed         int64
	interval     time.Duration // pause of each worker between deliveries
	timeout      time.Duration
	retry        retryPolicy
	verbose      bool
}

// job is one delivery to make.
type job struct {
	req        *http.Request
	delivery   vobizhooktest.Delivery
	conference int
}

// simReport is what simulate observed. A delivery counts once, by its last
// attempt; the attempts before it are counted apart, as retries.
type simReport struct {
	conferences, events, duplicates int
	statuses                        map[int]int // last answers
	transportErrors                 int         // deliveries whose last attempt had no answer
	retries                         int         // attempts retried
	retriedStatuses                 map[int]int // the answers that were retried
	retriedErrors                   int
	failures                        []string // the first few failure descriptions
	latencies                       []time.Duration
	elapsed                         time.Duration
	interrupted                     bool
}

func newSimReport() *simReport {
	return &simReport{statuses: map[int]int{}, retriedStatuses: map[int]int{}}
}

func (r *simReport) sent() int { return r.events + r.duplicates }

// failed is the number of deliveries whose last attempt failed.
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
	f := newFlags("simulate", "-url URL [flags]",
		"Drives whole generated conferences against URL, as Vobiz would: signed with the\n"+
			"auth token when one is given, in the live or classic shape, optionally shuffled\n"+
			"and with duplicate deliveries, a non-2xx answer retried with the same request.\n"+
			"Reports what it sent, the status counts, the retries and the latency\n"+
			"percentiles; exits 1 if any delivery failed (error or non-2xx after its retries).", stdout, stderr)
	cfg := simConfig{}
	url := f.url()
	token := f.authToken("Vobiz Auth `token` to sign with; unsigned when empty")
	f.StringVar(&cfg.room, "room", vobizhooktest.DefaultRoom, "conference `name` (numbered when -conferences > 1)")
	participants := f.participants(vobizhooktest.DefaultParticipants, vobizhooktest.MaxParticipants, "participants per conference")
	style := f.style()
	f.BoolVar(&cfg.shuffle, "shuffle", false, "deliver each conference's callbacks in a random order")
	f.Float64Var(&cfg.duplicates, "duplicates", 0, "`probability` (0 to 1) that a delivery is sent twice, the same signed request, as after a lost answer")
	f.IntVar(&cfg.conferences, "conferences", 1, "number of conferences")
	f.IntVar(&cfg.concurrency, "concurrency", 4, "deliveries in flight at once")
	seed := f.seed()
	f.DurationVar(&cfg.interval, "interval", 0, "pause of each sender between deliveries")
	f.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "per-request `timeout`")
	policy := f.retries()
	f.BoolVar(&cfg.verbose, "v", false, "print every delivery")
	f.check(func() error {
		switch {
		case !(cfg.duplicates >= 0 && cfg.duplicates <= 1):
			return fmt.Errorf("-duplicates %v: want a probability from 0 to 1", cfg.duplicates)
		case cfg.conferences < 1:
			return fmt.Errorf("-conferences %d: want at least 1", cfg.conferences)
		case cfg.concurrency < 1 || cfg.concurrency > 1024:
			return fmt.Errorf("-concurrency %d: want 1 to 1024", cfg.concurrency)
		case cfg.interval < 0 || cfg.timeout <= 0:
			return errors.New("-interval and -timeout must not be negative, -timeout not zero")
		}
		return nil
	})
	if code := f.parse(args, ""); code >= 0 {
		return code
	}
	cfg.url, cfg.token, cfg.participants, cfg.style, cfg.seed, cfg.retry = *url, *token, *participants, *style, *seed, *policy

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
	if cfg.oneDuplicate {
		b.WriteString(" (at least one)")
	}
	if cfg.token != "" {
		b.WriteString(", signed")
	} else {
		b.WriteString(", unsigned")
	}
	fmt.Fprintf(&b, ", seed %d", cfg.seed)
	if cfg.retry.retries > 0 {
		fmt.Fprintf(&b, ", up to %s (backoff %s)", plural(cfg.retry.retries, "retry"), cfg.retry.backoff)
	} else {
		b.WriteString(", no retries")
	}
	// The URL without its query: it may carry a token.
	target, err := vobizhook.BaseURL(cfg.url)
	if err != nil {
		target = "the URL"
	}
	fmt.Fprintf(&b, ", to %s", target)
	fmt.Fprintln(w, b.String())
}

// simulate sends every delivery of cfg's conferences with cfg.concurrency
// workers and gathers the results. It shows progress on stderr every second
// of a run longer than that.
func simulate(ctx context.Context, cfg simConfig, stdout, stderr io.Writer) *simReport {
	client := newClient(cfg.concurrency, cfg.timeout)
	defer client.CloseIdleConnections()
	rep := newSimReport()
	var mu sync.Mutex
	var buildErr error
	start := time.Now()

	jobs := make(chan job, cfg.concurrency)
	var wg sync.WaitGroup
	for range cfg.concurrency {
		wg.Go(func() {
			for j := range jobs {
				out := deliverRetrying(ctx, client, j.req, cfg.retry)
				mu.Lock()
				record(rep, j, out)
				if cfg.verbose {
					printDelivery(stdout, j, out)
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
				sent, failed, retries := rep.sent(), rep.failed(), rep.retries
				mu.Unlock()
				fmt.Fprintf(stderr, "simulate: %d deliveries, %d failed, %d retries, %s\n", sent, failed, retries, time.Since(start).Round(time.Second))
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
		if cfg.oneDuplicate {
			deliveries = withDuplicate(deliveries)
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

func record(rep *simReport, j job, out outcome) {
	if j.delivery.Duplicate {
		rep.duplicates++
	} else {
		rep.events++
	}
	for _, res := range out.retried {
		rep.retries++
		if res.err != nil {
			rep.retriedErrors++
		} else {
			rep.retriedStatuses[res.status]++
			rep.latencies = append(rep.latencies, res.latency)
		}
	}
	if out.err != nil {
		rep.transportErrors++
	} else {
		rep.statuses[out.status]++
		rep.latencies = append(rep.latencies, out.latency)
	}
	if !out.ok() && len(rep.failures) < maxFailuresShown {
		rep.failures = append(rep.failures, fmt.Sprintf("%s %s call %s: %s",
			j.delivery.Event.Action, j.delivery.Event.ConferenceName, j.delivery.Event.CallUUID, out))
	}
}

// withDuplicate returns deliveries with one duplicate delivery when they
// have none: the middle delivery sent again right after itself, the retry
// most likely to overlap its original.
func withDuplicate(deliveries []vobizhooktest.Delivery) []vobizhooktest.Delivery {
	if len(deliveries) == 0 || slices.ContainsFunc(deliveries, func(d vobizhooktest.Delivery) bool { return d.Duplicate }) {
		return deliveries
	}
	i := len(deliveries) / 2
	dup := deliveries[i]
	dup.Duplicate = true
	return slices.Insert(slices.Clone(deliveries), i+1, dup)
}

func printDelivery(w io.Writer, j job, out outcome) {
	ev := j.delivery.Event
	dup := ""
	if j.delivery.Duplicate {
		dup = " (duplicate)"
	}
	member := ""
	if ev.MemberID != "" {
		member = " member " + ev.MemberID
	}
	fmt.Fprintf(w, "  %-5s %s%s call %s%s -> %s\n", ev.Action, ev.ConferenceName, member, ev.CallUUID, dup, out)
}

// report prints the summary.
func report(w io.Writer, cfg simConfig, rep *simReport) {
	fmt.Fprintf(w, "sent %s (%s + %s) of %s in %s\n",
		plural(rep.sent(), "delivery"), plural(rep.events, "event"), plural(rep.duplicates, "duplicate"),
		plural(rep.conferences, "conference"), roundDuration(rep.elapsed))
	fmt.Fprintf(w, "status: %s\n", statusCounts(rep.statuses, rep.transportErrors, "none"))
	if cfg.retry.retries == 0 {
		fmt.Fprintln(w, "retries: off")
	} else {
		fmt.Fprintf(w, "retries: %d", rep.retries)
		if rep.retries > 0 {
			fmt.Fprintf(w, " (%s)", statusCounts(rep.retriedStatuses, rep.retriedErrors, ""))
		}
		fmt.Fprintln(w)
	}
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

// statusCounts writes counts by status code, "200 OK: 7, 503 Service
// Unavailable: 1, errors: 2", or none when there are none.
func statusCounts(statuses map[int]int, errorCount int, none string) string {
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(statuses)) {
		parts = append(parts, fmt.Sprintf("%d %s: %d", code, http.StatusText(code), statuses[code]))
	}
	if errorCount > 0 {
		parts = append(parts, fmt.Sprintf("errors: %d", errorCount))
	}
	if len(parts) == 0 {
		return none
	}
	return strings.Join(parts, ", ")
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
