#!/usr/bin/env bash
# Runs the comparison benchmarks in interleaved rounds and summarises them:
# benchstat's table (medians and confidence intervals) and the ratios against
# the targets. Environment: ROUNDS (default 10), BENCHTIME (default 200000x:
# a fixed count, so the signed benchmarks, which sign every request before the
# timer starts, are not re-calibrated again and again; about 5 minutes in all).
#
#   cd bench && ./run.sh
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-10}
benchtime=${BENCHTIME:-200000x}
out=${OUT:-results.txt}

go test -c -o bench.test .
: >"$out"
for i in $(seq "$rounds"); do
  echo "round $i/$rounds" >&2
  # One round runs every benchmark once, so rounds interleave them in time
  # and a burst of machine noise is spread across all of them.
  ./bench.test -test.run '^$' -test.bench . -test.count 1 -test.benchtime "$benchtime" -test.benchmem >>"$out"
done
rm -f bench.test

go tool benchstat -col /impl "$out"
echo
go run ./cmd/ratios "$out"
