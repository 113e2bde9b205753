#!/usr/bin/env bash
# bench/proxy.sh — Polaris side by side with a bare goproxy forwarder, Privoxy
# and tinyproxy, in one run on loopback, with the same DNT/GPC settings.
#
# It drives the workplace's reference harness (../shared/bench-peers, copied
# to a temporary dir at run time so the shared folder is never written) with
# Polaris and the bare goproxy attached as extra proxies, and prints one
# table: req/s, p50/p99 latency, proxy CPU time per request, proxy peak RSS.
#
# Polaris runs twice: "polaris" blocks with EasyList + EasyPrivacy loaded
# (the harness's copies, $BENCH_EASYLIST/$BENCH_EASYPRIVACY: the lists
# mklists.py converts for the peers; BLOCKLIST_N=all gives the peers every
# "||domain^" rule of them) plus its built-in list and a rule for the
# harness's blocked host; "polaris-noblock" has every list switched off.
# Both send DNT and GPC. Neither downloads anything (POLARIS_NO_AUTO_UPDATE).
#
#   bench/proxy.sh                      # 1 KiB responses, 16 connections, 3 runs of 10 s each
#   DURATION=5 REPEAT=1 bench/proxy.sh  # quicker
#   SCENARIOS="http1k block https1k" PEERS=privoxy BLOCKLIST_N=all bench/proxy.sh   # tracker blocking
# Knobs: everything ../shared/bench-peers/bench.sh takes (DURATION, REPEAT, CONC,
#   SCENARIOS, PEERS, BLOCKLIST_N, PIN, PRIO, ...), plus POLARIS_SHARED and
#   POLARIS_TARGETS (default "goproxy-bare polaris polaris-noblock").
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${POLARIS_SHARED:-$ROOT/../shared}
[ -x "$SHARED/bench-peers/bench.sh" ] || { echo "bench: $SHARED/bench-peers/bench.sh not found (set POLARIS_SHARED)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/polaris-bench.XXXXXX")
cp -r "$SHARED/bench-peers" "$WORK/"
chmod -R u+w "$WORK/bench-peers"
mkdir -p "$WORK/bench-peers/results"
# The harness builds its tools (hey, the origin) and extracts EasyList into
# its own folder; keep them between runs.
CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polaris-bench}
mkdir -p "$CACHE"
for d in bin lists; do [ -d "$CACHE/$d" ] && cp -r "$CACHE/$d" "$WORK/bench-peers/"; done
trap 'for d in bin lists; do [ -d "$WORK/bench-peers/$d" ] && cp -r "$WORK/bench-peers/$d" "$CACHE/"; done; rm -rf "$WORK"' EXIT

echo "bench: building polaris and goproxy-bare" >&2
(cd "$ROOT" && go build -tags nogui -o "$WORK/polaris" . && go build -o "$WORK/goproxy-bare" ./bench/goproxy-bare)

export POLARIS_NO_AUTO_UPDATE=1
for d in data data-noblock; do
  "$WORK/polaris" --data-dir "$WORK/$d" config set dnt 1 >/dev/null
  "$WORK/polaris" --data-dir "$WORK/$d" config set gpc on >/dev/null
  for id in 2 3 4; do "$WORK/polaris" --data-dir "$WORK/$d" lists disable $id >/dev/null; done  # not downloaded here
done
"$WORK/polaris" --data-dir "$WORK/data-noblock" lists disable 1 >/dev/null
"$WORK/polaris" --data-dir "$WORK/data" config set blocking.custom-rules '||127.0.0.2^' >/dev/null

POLARIS_PORT=${POLARIS_PORT:-28228}
NOBLOCK_PORT=${NOBLOCK_PORT:-28230}
BARE_PORT=${BARE_PORT:-28229}

# The harness exports its EasyList/EasyPrivacy paths to the proxies it
# starts; this wrapper subscribes Polaris to them (read once, copied into its
# data dir; adding them again is refused and ignored) and then becomes
# Polaris itself (exec keeps the PID the harness measures).
{
  echo '#!/bin/sh'
  echo 'for l in "$BENCH_EASYLIST" "$BENCH_EASYPRIVACY"; do'
  echo "  [ -s \"\$l\" ] && '$WORK/polaris' --data-dir '$WORK/data' lists add \"\$l\" >&2 || true"
  echo 'done'
  echo "exec '$WORK/polaris' run --data-dir '$WORK/data' --listen 127.0.0.1:$POLARIS_PORT"
} >"$WORK/polaris-with-lists"
chmod +x "$WORK/polaris-with-lists"
OUT=${OUT:-$ROOT/bench/results/proxy-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

export PEERS=${PEERS-"privoxy tinyproxy"}
export SCENARIOS=${SCENARIOS:-http1k}
export CONC=${CONC:-16}
export DURATION=${DURATION:-10}
export REPEAT=${REPEAT:-3}
export BLOCKLIST_N=${BLOCKLIST_N:-1000}
export OUT

TARGETS=()
for t in ${POLARIS_TARGETS-goproxy-bare polaris polaris-noblock}; do
  case $t in
    goproxy-bare) TARGETS+=(--proxy "goproxy-bare|127.0.0.1:$BARE_PORT|$WORK/goproxy-bare -addr 127.0.0.1:$BARE_PORT") ;;
    polaris) TARGETS+=(--proxy "polaris|127.0.0.1:$POLARIS_PORT|$WORK/polaris-with-lists") ;;
    polaris-noblock) TARGETS+=(--proxy "polaris-noblock|127.0.0.1:$NOBLOCK_PORT|$WORK/polaris run --data-dir $WORK/data-noblock --listen 127.0.0.1:$NOBLOCK_PORT") ;;
    *) echo "bench: unknown target $t" >&2; exit 2 ;;
  esac
done
"$WORK/bench-peers/bench.sh" "${TARGETS[@]}"
echo "bench: the lists Polaris had:" >&2
"$WORK/polaris" --data-dir "$WORK/data" lists >&2 || true
echo "bench: results in $OUT" >&2
