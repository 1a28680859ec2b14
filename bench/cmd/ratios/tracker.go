package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

var roomSizes = []string{"10", "100", "1000", "10000"}

// trackerReport prints the tracker's figures against its targets.
func trackerReport(w io.Writer, res *results) {
	const apply = "BenchmarkTrackerApply/rooms=2to50"
	const size = "BenchmarkTrackerRoomSize/op="
	const reads = "BenchmarkTrackerConferences/op="
	if !res.has(apply) && !res.has(size+"apply/members=10") && !res.has(reads+"conferences/rooms=10000") {
		return
	}
	fmt.Fprintf(w, "\nTracker (medians over rounds)\n\n")
	fmt.Fprintf(w, "%-58s %11s %9s %9s %8s\n", "benchmark", "cpu-ns/op", "allocs/op", "B/op", "spread")
	names := slices.Clone(res.order)
	slices.Sort(names)
	for _, name := range names {
		cpu := res.metric(name, "cpu-ns/op")
		if !strings.HasPrefix(name, "BenchmarkTracker") || len(cpu) == 0 {
			continue
		}
		fmt.Fprintf(w, "%-58s %11.0f %9.0f %9.0f %7.0f%%\n", name, median(cpu),
			median(res.metric(name, "allocs/op")), median(res.metric(name, "B/op")), spread(cpu))
	}

	fmt.Fprintf(w, "\nTracker targets\n\n")
	target{what: "Apply, rooms of 2-50, one core: events per CPU second", vals: res.metric(apply, "events/cpu-s"),
		goal: 1e6, format: "%.0f"}.print(w)
	for _, op := range []string{"apply", "fromcontext"} {
		// Per round: the dearest size over the cheapest.
		vals := res.series(func(round map[string]sample) (float64, bool) {
			var costs []float64
			for _, n := range roomSizes {
				s, ok := round[size+op+"/members="+n]
				if !ok {
					return 0, false
				}
				costs = append(costs, s["cpu-ns/op"])
			}
			return slices.Max(costs) / slices.Min(costs), true
		})
		var per string
		for _, n := range roomSizes {
			per += fmt.Sprintf(" %s: %.0f ns", n, median(res.metric(size+op+"/members="+n, "cpu-ns/op")))
		}
		target{what: fmt.Sprintf("%s per event, dearest/cheapest of 10-10,000 members", op), vals: vals, goal: 2, atMost: true,
			note: " (" + per[1:] + ")"}.print(w)
	}
	for _, op := range []string{"conferences", "live"} {
		name := reads + op + "/rooms=10000"
		if !res.has(name) {
			continue
		}
		allocs := res.metric(name, "allocs/op")
		target{what: op + " over 10,000 rooms: allocations per call", vals: allocs, goal: 1, atMost: true, format: "%.0f"}.print(w)
		excess := res.series(func(round map[string]sample) (float64, bool) {
			s, ok := round[name]
			if !ok || s["result-B/op"] == 0 {
				return 0, false
			}
			return s["B/op"] / s["result-B/op"], true
		})
		// The allocator hands out a large slice in whole 8 KiB pages: up to
		// 0.5 % more than the slice itself for 1.7 MB.
		target{what: op + " over 10,000 rooms: bytes allocated / result's", vals: excess, goal: 1.005, atMost: true,
			note: " (a large slice is rounded up to whole pages)"}.print(w)
	}
	const sweep = "BenchmarkTrackerSweep/conferences=100000"
	if res.has(sweep) {
		target{what: "sweep of 100,000 idle rooms: longest wait of a commit (ms)", vals: res.metric(sweep, "max-commit-wait-ms"),
			goal: 10, atMost: true, note: fmt.Sprintf(" (the sweep took %.0f ms)", median(res.metric(sweep, "sweep-ms")))}.print(w)
	}
}
