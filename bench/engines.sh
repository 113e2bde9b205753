#!/usr/bin/env bash
# bench/engines.sh: the blocklist engine side by side with uBlock Origin's
# (@gorhill/ubo-core) and Ghostery's (@ghostery/adblocker), on the same
# lists (EasyList + EasyPrivacy) and the same requests (the 10,000
# realworld vectors, PASSES times over), in one run. For each engine it
# prints parse+build time, per-decision time (p50, p99, mean) and the heap
# the built engine holds. Each engine runs RUNS times; the run with the
# lowest mean is kept (the machine is shared).
#
#   bench/engines.sh            # PASSES=3 RUNS=3
#   POLARIS_BIN=./polaris bench/engines.sh
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

best() { # best-of-RUNS timing line by mean_us; $1 is the stdin file, the rest the command
	local in=$1 line bestline="" bestmean=""
	shift
	for _ in $(seq "$RUNS"); do
		line=$("$@" 2>&1 >/dev/null <"$in" | grep '^timing:' || true)
		[ -n "$line" ] || { echo "engines.sh: no timing line from: $*" >&2; exit 1; }
		mean=$(sed 's/.*mean_us=\([0-9.]*\).*/\1/' <<<"$line")
		if [ -z "$bestmean" ] || awk "BEGIN{exit !($mean < $bestmean)}"; then bestmean=$mean bestline=$line; fi
	done
	echo "$bestline"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "go: $(go version | cut -d' ' -f3), node: $(node --version), lists: easylist.txt + easyprivacy.txt, requests: $(wc -l <"$requests") ($PASSES x 10,000 realworld), best of $RUNS runs"
printf '%-10s %10s %9s %9s %9s %9s %8s\n' engine parse_ms p50_us p99_us mean_us heap_mb n
row() {
	local name=$1 line=$2
	v() { sed "s/.*$1=\([0-9.]*\).*/\1/" <<<"$line"; }
	printf '%-10s %10s %9s %9s %9s %9s %8s\n' "$name" "$(v parse_ms)" "$(v p50_us)" "$(v p99_us)" "$(v mean_us)" "$(v heap_mb)" "$(v n)"
}
row polaris "$(best "$requests" "${polaris[@]}" --timing "${listargs[@]}")"
row ubo "$(best /dev/null node --expose-gc "$here/engines.mjs" --engine ubo "${listargs[@]}" --requests "$requests")"
row ghostery "$(best /dev/null node --expose-gc "$here/engines.mjs" --engine ghostery "${listargs[@]}" --requests "$requests")"
