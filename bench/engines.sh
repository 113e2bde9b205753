#!/usr/bin/env bash
# bench/engines.sh: the blocklist engine side by side with uBlock Origin's
# (@gorhill/ubo-core) and Ghostery's (@ghostery/adblocker), on the same
# lists (EasyList + EasyPrivacy) and the same requests (the 10,000
# realworld vectors, PASSES times over), in one run. For each engine it
# prints parse+build time, per-decision time (p50, p99, mean) and the heap
# the built engine holds, then how many requests it blocked and on how many
# its verdict differs from Polaris's (a broken comparison shows there).
# Each engine runs RUNS times; the run with the lowest mean is kept (the
# machine is shared).
#
#   bench/engines.sh                    # PASSES=3 RUNS=3
#   PASSES=1 RUNS=1 bench/engines.sh    # a quick check
#   POLARIS_BIN=./polaris bench/engines.sh
#
# uBO is given the public suffix list in PSL (default: Debian's package
# publicsuffix); ubo-core's own default leaves it empty. Ghostery brings its
# own (tldts), Polaris its own (golang.org/x/net/publicsuffix).
#
# Needs go, node (>= 18) and npm; the npm packages are installed into
# bench/node_modules (gitignored) at the versions pinned in package.json.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache="$here/.cache"
mkdir -p "$cache"
PASSES=${PASSES:-3}
RUNS=${RUNS:-3}

shared=${POLARIS_SHARED:-}
if [ -z "$shared" ]; then
	d=$root
	while [ "$d" != / ]; do
		if [ -f "$d/shared/STYLE.md" ]; then shared=$d/shared; break; fi
		d=$(dirname "$d")
	done
fi
[ -n "$shared" ] || { echo "engines.sh: shared data not found; set POLARIS_SHARED" >&2; exit 2; }
lists=("$shared/blocklists/easylist.txt" "$shared/blocklists/easyprivacy.txt")
vectors=$shared/adblock-vectors/realworld/verdicts-2026-first10k.jsonl.gz
PSL=${PSL:-/usr/share/publicsuffix/public_suffix_list.dat}
[ -s "$PSL" ] || { echo "engines.sh: public suffix list $PSL not found; install Debian's publicsuffix or set PSL" >&2; exit 2; }

# Requests: url<TAB>source<TAB>type, PASSES times over.
requests=$cache/requests.tsv
once=$cache/requests-once.tsv
gzip -dc "$vectors" | node -e '
	const rl = require("readline").createInterface({ input: process.stdin });
	rl.on("line", (l) => { const r = JSON.parse(l); console.log([r.url, r.sourceUrl, r.type].join("\t")); });
' >"$once"
: >"$requests"
for _ in $(seq "$PASSES"); do cat "$once" >>"$requests"; done

# Reference engines.
if [ ! -d "$here/node_modules/@gorhill/ubo-core" ] || [ ! -d "$here/node_modules/@ghostery/adblocker" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Polaris: a given binary, the repository's own, or the match command alone.
if [ -n "${POLARIS_BIN:-}" ]; then
	polaris=("$POLARIS_BIN" match)
elif (cd "$root" && go build -o "$cache/polaris" . 2>/dev/null) && "$cache/polaris" match 2>&1 </dev/null | grep -q 'usage: polaris match'; then
	polaris=("$cache/polaris" match)
else
	(cd "$root" && go build -o "$cache/polaris-match" ./bench/matchcmd)
	polaris=("$cache/polaris-match")
fi

listargs=()
for l in "${lists[@]}"; do listargs+=(--list "$l"); done

best() { # best-of-RUNS timing line by mean_us; $1 is the stdout file, $2 the stdin file, the rest the command
	local out=$1 in=$2 line bestline="" bestmean=""
	shift 2
	for _ in $(seq "$RUNS"); do
		line=$("$@" 2>&1 >"$out" <"$in" | grep '^timing:' || true)
		[ -n "$line" ] || { echo "engines.sh: no timing line from: $*" >&2; exit 1; }
		mean=$(sed 's/.*mean_us=\([0-9.]*\).*/\1/' <<<"$line")
		if [ -z "$bestmean" ] || awk "BEGIN{exit !($mean < $bestmean)}"; then bestmean=$mean bestline=$line; fi
	done
	echo "$bestline"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "go: $(go version | cut -d' ' -f3), node: $(node --version), lists: easylist.txt + easyprivacy.txt, requests: $(wc -l <"$requests") ($PASSES x 10,000 realworld), best of $RUNS runs"
n=$(wc -l <"$requests")
printf '%-10s %10s %9s %9s %9s %9s %8s %8s %7s\n' engine parse_ms p50_us p99_us mean_us heap_mb n blocked differ
row() { # $1 engine, $2 timing line, $3 its verdicts (block|allow per request)
	local name=$1 line=$2 verdicts=$3 blocked differ
	v() { sed "s/.*$1=\([0-9.]*\).*/\1/" <<<"$line"; }
	[ "$(wc -l <"$verdicts")" -eq "$n" ] || { echo "engines.sh: $name gave $(wc -l <"$verdicts") verdicts for $n requests" >&2; exit 1; }
	! grep -vqxE 'block|allow' "$verdicts" || { echo "engines.sh: $name: a verdict other than block or allow in $verdicts" >&2; exit 1; }
	blocked=$(grep -cx block "$verdicts" || true)
	differ=$(paste -d' ' "$cache/polaris.verdicts" "$verdicts" | awk '$1 != $2 { d++ } END { print d + 0 }')
	printf '%-10s %10s %9s %9s %9s %9s %8s %8s %7s\n' "$name" "$(v parse_ms)" "$(v p50_us)" "$(v p99_us)" "$(v mean_us)" "$(v heap_mb)" "$(v n)" "$blocked" "$differ"
}
line=$(best "$cache/polaris.jsonl" "$requests" "${polaris[@]}" --timing "${listargs[@]}")
sed 's/^{"url":.*,"verdict":"\([a-z]*\)".*/\1/' "$cache/polaris.jsonl" >"$cache/polaris.verdicts"
row polaris "$line" "$cache/polaris.verdicts"
for engine in ubo ghostery; do
	line=$(best /dev/null /dev/null node --expose-gc "$here/engines.mjs" --engine "$engine" "${listargs[@]}" \
		--requests "$requests" --psl "$PSL" --verdicts "$cache/$engine.verdicts")
	row "$engine" "$line" "$cache/$engine.verdicts"
done
echo "blocked: block verdicts of the $n requests; differ: requests on which the engine's verdict is not Polaris's"
