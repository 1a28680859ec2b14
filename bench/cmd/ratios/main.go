// Command ratios reads the raw `go test -bench` output that bench/run.sh
// collects (interleaved rounds, each benchmark once a round in shuffled
// order, "# round N" lines between rounds) and judges the targets of the
// project's performance issue:
//
//   - the signed Handler path against the naive hand-written handler, in
//     CPU time net of the harness (cpu-ns/op minus the harness's, round by
//     round), with and without replay protection, and in allocations;
//   - the tracker: events per CPU second on rooms of 2-50 members, the
//     cost per event and per FromContext across room sizes, what
//     Conferences and Live allocate, the sweep's hold on the global lock.
//
// A ratio is computed within each round, so a burst of noise hits both of
// its sides; the verdict is on the median over rounds, and the range of
// the per-round ratios is printed next to it. Without "# round" lines, the
// k-th result of each benchmark is taken as round k.
//
//	go run ./cmd/ratios results.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// sample is one benchmark result line's metrics, by unit.
type sample map[string]float64

// results are the samples of every round, and the outcome of the tests
// run.sh ran ("# test NAME: ok").
type results struct {
	rounds []map[string]sample
	tests  map[string]string
	order  []string // benchmark names in order of first appearance
}

var procSuffix = regexp.MustCompile(`-\d+$`)

func parse(r io.Reader) (*results, error) {
	res := &results{tests: map[string]string{}}
	marked := false
	seen := map[string]int{} // occurrences per name, when unmarked
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# round "); ok {
			if _, err := strconv.Atoi(strings.Fields(rest + " x")[0]); err == nil {
				marked = true
				res.rounds = append(res.rounds, map[string]sample{})
			}
			continue
		}
		if rest, ok := strings.CutPrefix(line, "# test "); ok {
			if name, outcome, ok := strings.Cut(rest, ": "); ok {
				res.tests[name] = outcome
			}
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := procSuffix.ReplaceAllString(fields[0], "")
		s := sample{}
		for i := 2; i+1 < len(fields); i += 2 {
			if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
				s[fields[i+1]] = v
			}
		}
		if _, ok := seen[name]; !ok {
			res.order = append(res.order, name)
		}
		k := seen[name]
		seen[name]++
		if marked {
			res.rounds[len(res.rounds)-1][name] = s
			continue
		}
		for len(res.rounds) <= k {
			res.rounds = append(res.rounds, map[string]sample{})
		}
		res.rounds[k][name] = s
	}
	return res, sc.Err()
}

// series returns f of every round in which f is defined.
func (r *results) series(f func(round map[string]sample) (float64, bool)) []float64 {
	var out []float64
	for _, round := range r.rounds {
		if v, ok := f(round); ok {
			out = append(out, v)
		}
	}
	return out
}

// metric returns the series of one benchmark's metric.
func (r *results) metric(name, unit string) []float64 {
	return r.series(func(round map[string]sample) (float64, bool) {
		s, ok := round[name]
		if !ok {
			return 0, false
		}
		v, ok := s[unit]
		return v, ok
	})
}

func (r *results) has(name string) bool { return slices.Contains(r.order, name) }

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread is (max-min)/median, in percent: the noise of a series.
func spread(vs []float64) float64 {
	if len(vs) == 0 || median(vs) == 0 {
		return 0
	}
	return (slices.Max(vs) - slices.Min(vs)) / median(vs) * 100
}

// target is one line of a verdict table.
type target struct {
	what   string
	vals   []float64 // one per round
	goal   float64
	atMost bool // the median must be <= goal (else >= goal)
	format string
	note   string
}

func (t target) print(w io.Writer) {
	if len(t.vals) == 0 {
		fmt.Fprintf(w, "%-62s %6s  (no results)\n", t.what, "")
		return
	}
	m := median(t.vals)
	verdict := "met"
	if (t.atMost && m > t.goal) || (!t.atMost && m < t.goal) {
		verdict = "NOT met"
	}
	op := ">="
	if t.atMost {
		op = "<="
	}
	f := t.format
	if f == "" {
		f = "%.3f"
	}
	rng := fmt.Sprintf(f+"-"+f, slices.Min(t.vals), slices.Max(t.vals))
	fmt.Fprintf(w, "%-62s %10s  range %-19s %2d rounds  target %s "+f+": %s%s\n",
		t.what, fmt.Sprintf(f, m), rng, len(t.vals), op, t.goal, verdict, t.note)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: ratios RESULTS")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	res, err := parse(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(res.rounds) == 0 {
		fmt.Fprintln(os.Stderr, "ratios: no benchmark results")
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	handlerReport(w, res)
	trackerReport(w, res)
	if len(res.tests) > 0 {
		names := make([]string, 0, len(res.tests))
		for n := range res.tests {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(w, "\ntests run by run.sh:")
		for _, n := range names {
			fmt.Fprintf(w, "  %-60s %s\n", n, res.tests[n])
		}
	}
}
