#!/usr/bin/env bash
# bench/proxy.sh — Polaris side by side with a bare goproxy forwarder, Privoxy
# and tinyproxy, in one run on loopback, with the same DNT/GPC settings.
#
# It drives the workplace's reference harness (../shared/bench-peers, copied
# to a temporary dir at run time so the shared folder is never written) with
# Polaris and the bare goproxy attached as extra proxies, and prints one
# table: req/s, p50/p99 latency, proxy CPU time per request, proxy peak RSS.
#
#   bench/proxy.sh                      # 1 KiB responses, 16 connections, 3 runs of 10 s each
#   DURATION=5 REPEAT=1 bench/proxy.sh  # quicker
#   SCENARIOS="http1k block" PEERS="privoxy" bench/proxy.sh
# Knobs: everything ../shared/bench-peers/bench.sh takes (DURATION, REPEAT, CONC,
#   SCENARIOS, PEERS, BLOCKLIST_N, PIN, PRIO, ...), plus POLARIS_SHARED.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${POLARIS_SHARED:-$ROOT/../shared}
[ -x "$SHARED/bench-peers/bench.sh" ] || { echo "bench: $SHARED/bench-peers/bench.sh not found (set POLARIS_SHARED)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/polaris-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -r "$SHARED/bench-peers" "$WORK/"
chmod -R u+w "$WORK/bench-peers"
mkdir -p "$WORK/bench-peers/results"

echo "bench: building polaris and goproxy-bare" >&2
(cd "$ROOT" && go build -tags nogui -o "$WORK/polaris" . && go build -o "$WORK/goproxy-bare" ./bench/goproxy-bare)

DATA=$WORK/data
"$WORK/polaris" --data-dir "$DATA" config set dnt 1 >/dev/null
"$WORK/polaris" --data-dir "$DATA" config set gpc on >/dev/null

POLARIS_PORT=${POLARIS_PORT:-28228}
BARE_PORT=${BARE_PORT:-28229}
OUT=${OUT:-$ROOT/bench/results/proxy-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

export PEERS=${PEERS-"privoxy tinyproxy"}
export SCENARIOS=${SCENARIOS:-http1k}
export CONC=${CONC:-16}
export DURATION=${DURATION:-10}
export REPEAT=${REPEAT:-3}
export BLOCKLIST_N=${BLOCKLIST_N:-1000}
export OUT

"$WORK/bench-peers/bench.sh" \
  --proxy "goproxy-bare|127.0.0.1:$BARE_PORT|$WORK/goproxy-bare -addr 127.0.0.1:$BARE_PORT" \
  --proxy "polaris|127.0.0.1:$POLARIS_PORT|$WORK/polaris run --data-dir $DATA --listen 127.0.0.1:$POLARIS_PORT"
echo "bench: results in $OUT" >&2
