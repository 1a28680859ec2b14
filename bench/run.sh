#!/usr/bin/env bash
# Runs the performance benchmarks in interleaved rounds and judges them
# against the targets of the performance issue (see BENCHMARKS.md).
#
# Each round runs every benchmark once, as its own process, in a new
# shuffled order, so a burst of machine noise is spread over all of them
# and no benchmark always runs after the same one. Every benchmark reports
# cpu-ns/op (the process's CPU time per op, the garbage collector's
# included) next to ns/op; ratios are taken within a round and judged on
# their median over rounds (go run ./cmd/ratios).
#
#   cd bench && ./run.sh                 # handler and tracker, 10 rounds (about 15 minutes)
#   ROUNDS=15 ./run.sh handler           # only the Handler comparison
#   ./run.sh tracker                     # only the tracker
#   E2E=1 ./run.sh                       # also the end-to-end run (go run ./e2e)
#
# Environment: ROUNDS (default 10); BENCHTIME for the Handler comparison
# (default 200000x: a fixed count, so the signed benchmarks, which sign
# every request before the timer starts, are not re-calibrated); OUT, the
# raw results (default results.txt), which benchstat and ratios read.
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-10}
benchtime=${BENCHTIME:-200000x}
out=${OUT:-results.txt}
groups=("$@")
[ "${#groups[@]}" -gt 0 ] || groups=(handler tracker)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
jobs=()
for g in "${groups[@]}"; do
  case $g in
  handler)
    go test -c -o "$tmp/bench.test" .
    for impl in harness vobizhook vobizhook-noreplay naive schema; do
      jobs+=("bench.test|^BenchmarkSigned\$/^impl=$impl\$|$benchtime|2")
    done
    for impl in vobizhook naive schema; do
      jobs+=("bench.test|^BenchmarkDecode\$/^impl=$impl\$|$benchtime|2")
    done
    ;;
  tracker)
    (cd .. && go test -c -o "$tmp/track.test" ./track)
    jobs+=("track.test|^BenchmarkTrackerApply\$/^rooms=2to50\$|1000000x|1")
    for op in apply fromcontext; do
      for n in 10 100 1000 10000; do
        jobs+=("track.test|^BenchmarkTrackerRoomSize\$/^op=$op\$/^members=$n\$|100000x|2")
      done
    done
    jobs+=("track.test|^BenchmarkTrackerConferences\$|100x|2")
    jobs+=("track.test|^BenchmarkTrackerSweep\$|1x|2")
    ;;
  *)
    echo "run.sh: unknown group $g (want handler or tracker)" >&2
    exit 2
    ;;
  esac
done

: >"$out"
if [ -e "$tmp/track.test" ]; then
  # The sweep's lock hold is judged by a test, run once.
  test=TestMemoryStoreSweepLetsCommitsThrough
  if (cd ../track && "$tmp/track.test" -test.run "^$test\$" -test.count 1 >/dev/null); then
    echo "# test $test: ok" >>"$out"
  else
    echo "# test $test: FAILED" >>"$out"
  fi
fi
for i in $(seq "$rounds"); do
  echo "round $i/$rounds" >&2
  echo "# round $i" >>"$out"
  while IFS='|' read -r bin pattern bt cpu; do
    dir=.
    [ "$bin" = track.test ] && dir=../track
    (cd "$dir" && "$tmp/$bin" -test.run '^$' -test.bench "$pattern" -test.benchtime "$bt" \
      -test.cpu "$cpu" -test.count 1 -test.benchmem) | grep -E '^(Benchmark|goos|goarch|pkg|cpu)' >>"$out"
  done < <(printf '%s\n' "${jobs[@]}" | shuf)
done

if [ -e "$tmp/bench.test" ]; then
  go tool benchstat -filter '.unit:(sec/op OR cpu-ns/op OR allocs/op)' "$out" || true
  echo
fi
go run ./cmd/ratios "$out"
if [ -n "${E2E:-}" ]; then
  echo
  go run ./e2e
fi
