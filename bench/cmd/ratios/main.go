// Command ratios reads raw `go test -bench` output from bench/ (several
// interleaved rounds) and prints vobizhook's ratios against the naive and
// gorilla/schema handlers, from medians, net of the harness's own cost, next
// to the targets of the project's performance issue.
//
//	go run ./cmd/ratios results.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// sample is one benchmark result line's metrics, by unit.
type sample map[string]float64

var procSuffix = regexp.MustCompile(`-\d+$`)

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
	runs := map[string][]sample{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
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
		runs[name] = append(runs[name], s)
	}
	med := func(name, unit string) float64 {
		var vs []float64
		for _, s := range runs[name] {
			vs = append(vs, s[unit])
		}
		if len(vs) == 0 {
			fmt.Fprintf(os.Stderr, "no results for %s\n", name)
			os.Exit(1)
		}
		slices.Sort(vs)
		if len(vs)%2 == 1 {
			return vs[len(vs)/2]
		}
		return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
	}
	spread := func(name string) float64 { // (max-min)/median of ns/op: the noise
		var vs []float64
		for _, s := range runs[name] {
			vs = append(vs, s["ns/op"])
		}
		return (slices.Max(vs) - slices.Min(vs)) / med(name, "ns/op") * 100
	}

	const signed, decode = "BenchmarkSigned/impl=", "BenchmarkDecode/impl="
	harness := med(signed+"harness", "ns/op")
	fmt.Printf("medians of %d rounds; harness %.0f ns/op subtracted from the signed path\n\n", len(runs[signed+"harness"]), harness)
	fmt.Printf("%-32s %10s %10s %10s %8s\n", "benchmark", "ns/op", "net ns/op", "allocs/op", "spread")
	for _, impl := range []string{"harness", "vobizhook", "vobizhook-noreplay", "naive", "schema"} {
		n := signed + impl
		fmt.Printf("%-32s %10.0f %10.0f %10.0f %7.0f%%\n", n, med(n, "ns/op"), med(n, "ns/op")-harness, med(n, "allocs/op"), spread(n))
	}
	for _, impl := range []string{"vobizhook", "naive", "schema"} {
		n := decode + impl
		fmt.Printf("%-32s %10.0f %10s %10.0f %7.0f%%\n", n, med(n, "ns/op"), "", med(n, "allocs/op"), spread(n))
	}

	net := func(impl string) float64 { return med(signed+impl, "ns/op") - harness }
	check := func(what string, got, target float64) {
		verdict := "met"
		if got > target {
			verdict = "NOT met"
		}
		fmt.Printf("%-46s %5.2f  (target <= %.2f: %s)\n", what, got, target, verdict)
	}
	fmt.Println()
	check("signed: vobizhook/naive time", net("vobizhook")/net("naive"), 0.70)
	check("signed: vobizhook/naive allocs", med(signed+"vobizhook", "allocs/op")/med(signed+"naive", "allocs/op"), 0.60)
	check("signed: vobizhook/schema time", net("vobizhook")/net("schema"), 0.30)
	fmt.Printf("%-46s %5.2f  (like for like: neither does replay protection)\n", "signed: vobizhook-noreplay/naive time", net("vobizhook-noreplay")/net("naive"))
	fmt.Printf("%-46s %5.2f\n", "decode only: vobizhook/naive time", med(decode+"vobizhook", "ns/op")/med(decode+"naive", "ns/op"))
	fmt.Printf("%-46s %5.2f\n", "decode only: vobizhook/schema time", med(decode+"vobizhook", "ns/op")/med(decode+"schema", "ns/op"))
}
