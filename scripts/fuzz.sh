#!/usr/bin/env bash
# fuzz.sh — run Polaris's fuzz targets, each for a while, a few at a time.
#
#   scripts/fuzz.sh                      # every target, 10 minutes each, 2 at a time
#   TIME=30s JOBS=4 scripts/fuzz.sh      # a quick pass
#   scripts/fuzz.sh FuzzParseABP FuzzSet # only these
#   scripts/fuzz.sh -l                   # list the targets and their packages
#
# Each target runs as `go test -run '^$' -fuzz '^Target$' -fuzztime $TIME
# -parallel 1 ./pkg` at nice 19, in the order found. A summary line per target
# (its final exec count, or FAILED) goes to stdout; the full output of each
# run is kept in $OUT (default: a new temporary directory), and a failing
# input is written by Go to the package's testdata/fuzz/Target/ — commit it
# as a seed with the fix. Exit status 1 when any target failed.
#
# e2e's FuzzSTUNAnswer is left out: it checks the browser tests' own STUN
# responder, and the e2e package enters a network namespace in TestMain.
# Go reports execs spent minimising a new input only when the minimising
# ends, so a target whose inputs are large can show few execs.
set -euo pipefail
cd "$(dirname "$0")/.."
TIME=${TIME:-10m}
JOBS=${JOBS:-2}
OUT=${OUT:-$(mktemp -d -t polaris-fuzz.XXXXXX)}

targets() {
  grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' . |
    sed -E 's|^\./(.*)/[^/]+_test\.go:func (Fuzz.*)$|\1 \2|' |
    grep -v '^e2e ' | sort -k2
}

if [ "${1:-}" = "-l" ]; then
  targets
  exit 0
fi
list=$(targets)
if [ $# -gt 0 ]; then
  want=" $* "
  list=$(echo "$list" | while read -r pkg t; do
    case $want in *" $t "*) echo "$pkg $t" ;; esac
  done)
  [ -n "$list" ] || { echo "fuzz: none of $* is a fuzz target (scripts/fuzz.sh -l lists them)" >&2; exit 2; }
fi

echo "fuzz: $(echo "$list" | wc -l) targets, $TIME each, $JOBS at a time; logs in $OUT"
export TIME OUT
echo "$list" | xargs -P "$JOBS" -L 1 bash -c '
  pkg=$0 t=$1 log="$OUT/$1.log"
  if nice -n 19 go test -run "^\$" -fuzz "^$t\$" -fuzztime "$TIME" -parallel 1 "./$pkg" >"$log" 2>&1; then
    echo "ok     $t ($pkg): $(grep "^fuzz: elapsed" "$log" | tail -1 | sed -e "s/^fuzz: //" -e "s/ (.*//")"
  else
    echo "FAILED $t ($pkg): see $log"
    exit 1
  fi
' || { echo "fuzz: a target failed" >&2; exit 1; }
