package main

import (
	"fmt"
	"io"
	"slices"
)

const (
	signed = "BenchmarkSigned/impl="
	decode = "BenchmarkDecode/impl="
)

// handlerReport prints the per-request comparison: a table of medians, then
// the ratios against the targets, each computed round by round in
// CPU time net of the harness.
func handlerReport(w io.Writer, res *results) {
	if !res.has(signed+"vobizhook") || !res.has(signed+"naive") || !res.has(signed+"harness") {
		return
	}
	fmt.Fprintf(w, "Handler, per request (medians over rounds; net = cpu-ns/op minus the harness's in the same round)\n\n")
	fmt.Fprintf(w, "%-36s %9s %11s %9s %9s %7s %8s\n", "benchmark", "ns/op", "cpu-ns/op", "net", "allocs/op", "B/op", "spread")
	// netOf is an impl's unit (cpu-ns/op or ns/op) minus the harness's in
	// the same round.
	netOf := func(impl, unit string) func(map[string]sample) (float64, bool) {
		return func(round map[string]sample) (float64, bool) {
			s, ok1 := round[signed+impl]
			h, ok2 := round[signed+"harness"]
			if !ok1 || !ok2 {
				return 0, false
			}
			return s[unit] - h[unit], true
		}
	}
	net := func(impl string) func(map[string]sample) (float64, bool) { return netOf(impl, "cpu-ns/op") }
	row := func(name, netStr string) {
		if !res.has(name) {
			return
		}
		cpu := res.metric(name, "cpu-ns/op")
		fmt.Fprintf(w, "%-36s %9.0f %11.0f %9s %9.0f %7.0f %7.0f%%\n", name,
			median(res.metric(name, "ns/op")), median(cpu), netStr,
			median(res.metric(name, "allocs/op")), median(res.metric(name, "B/op")), spread(cpu))
	}
	for _, impl := range []string{"harness", "vobizhook", "vobizhook-noreplay", "naive", "schema"} {
		row(signed+impl, fmt.Sprintf("%.0f", median(res.series(net(impl)))))
	}
	for _, impl := range []string{"vobizhook", "naive", "schema"} {
		row(decode+impl, "")
	}

	ratio := func(a, b func(map[string]sample) (float64, bool)) []float64 {
		return res.series(func(round map[string]sample) (float64, bool) {
			x, ok1 := a(round)
			y, ok2 := b(round)
			if !ok1 || !ok2 || y <= 0 {
				return 0, false
			}
			return x / y, true
		})
	}
	unit := func(name, u string) func(map[string]sample) (float64, bool) {
		return func(round map[string]sample) (float64, bool) {
			s, ok := round[name]
			if !ok {
				return 0, false
			}
			v, ok := s[u]
			return v, ok
		}
	}
	wallNet := func(impl string) func(map[string]sample) (float64, bool) { return netOf(impl, "ns/op") }

	fmt.Fprintf(w, "\nHandler targets (per-round ratios; the verdict is on their median)\n\n")
	for _, t := range []target{
		{what: "signed: vobizhook/naive, CPU time (net)", vals: ratio(net("vobizhook"), net("naive")), goal: 0.70, atMost: true},
		{what: "signed: vobizhook/naive, allocations", vals: ratio(unit(signed+"vobizhook", "allocs/op"), unit(signed+"naive", "allocs/op")), goal: 0.25, atMost: true},
		{what: "signed: vobizhook-noreplay/naive, CPU time (net)", vals: ratio(net("vobizhook-noreplay"), net("naive")), goal: 0.60, atMost: true},
	} {
		t.print(w)
	}
	fmt.Fprintf(w, "\nfor information (no target):\n")
	info := func(what string, vals []float64) {
		if len(vals) == 0 {
			return
		}
		fmt.Fprintf(w, "%-62s %10.2f  range %.2f-%.2f\n", what, median(vals), slices.Min(vals), slices.Max(vals))
	}
	info("signed: vobizhook/naive, wall time (net)", ratio(wallNet("vobizhook"), wallNet("naive")))
	info("signed: vobizhook-noreplay/naive, wall time (net)", ratio(wallNet("vobizhook-noreplay"), wallNet("naive")))
	if res.has(signed + "schema") {
		info("signed: vobizhook/schema, CPU time (net)", ratio(net("vobizhook"), net("schema")))
	}
	if res.has(decode+"vobizhook") && res.has(decode+"naive") {
		info("decode only: vobizhook/naive, CPU time", ratio(unit(decode+"vobizhook", "cpu-ns/op"), unit(decode+"naive", "cpu-ns/op")))
	}
	if res.has(decode+"vobizhook") && res.has(decode+"schema") {
		info("decode only: vobizhook/schema, CPU time", ratio(unit(decode+"vobizhook", "cpu-ns/op"), unit(decode+"schema", "cpu-ns/op")))
	}
}
