#!/usr/bin/env bash
# bench/proxy.sh — Polaris side by side with a bare goproxy forwarder, Privoxy,
# tinyproxy and mitmproxy, in one run on loopback, with the same DNT/GPC settings.
#
# It drives the workplace's reference harness (../shared/bench-peers, copied
# to a temporary dir at run time so the shared folder is never written) with
# Polaris and the bare goproxy attached as extra proxies, and prints one
# table: req/s, p50/p99 latency, proxy CPU time per request, proxy peak RSS.
#
# Scenarios:
#   http1k       plain HTTP, 1 KiB responses (wrk)
#   block        a request to the harness's blocked host (refused locally)
#   https1k      HTTPS through CONNECT, kept-alive connections (hey): Polaris and
#                mitmdump intercept (HTTPS filtering on, warm leaf cache), the
#                others tunnel
#   https1k-new  the same with a new connection, CONNECT and TLS handshake for
#                every request (hey -disable-keepalive): handshakes per second
#   https1k-h2, https1k-h2-new
#                the same two over HTTP/2 (hey -h2: the client offers h2 in the
#                tunnel; the origin offers h2 and http/1.1). h2load cannot go
#                through an HTTP proxy (no CONNECT), so hey's HTTP/2 client is
#                the load generator for every target, direct included.
#
# Polaris runs twice: "polaris" blocks with EasyList + EasyPrivacy loaded (the
# harness's copies, $BENCH_EASYLIST/$BENCH_EASYPRIVACY, the lists mklists.py
# converts for the peers; BLOCKLIST_N=all gives the peers every "||domain^"
# rule of them) plus its built-in list and a rule for the harness's blocked
# host; "polaris-noblock" has every list switched off. Both send DNT and GPC,
# both filter HTTPS with https.upstream-ca = the origin's certificate
# ($BENCH_ORIGIN_CA), so they verify the upstream as always. Neither
# downloads anything (POLARIS_NO_AUTO_UPDATE).
#
#   bench/proxy.sh                      # 16 connections, 3 runs of 10 s each per scenario
#   DURATION=5 REPEAT=1 bench/proxy.sh  # quicker
#   SCENARIOS="https1k https1k-new" PEERS="mitmdump" bench/proxy.sh
#   SCENARIOS="http1k block" PEERS=privoxy BLOCKLIST_N=all bench/proxy.sh   # tracker blocking
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

# The copy gains a scenario: https1k with a new connection per request.
python3 - "$WORK/bench-peers" <<'PY'
import sys, pathlib
base = pathlib.Path(sys.argv[1])
sh = base / "bench.sh"
s = sh.read_text()
anchor = '    https1k)    TOOL=hey; URL="https://127.0.0.1:$ORIGIN_TLS_PORT/1k"; CONCS=$CONC_OTHER ;;\n'
assert anchor in s, "bench.sh changed: update bench/proxy.sh"
s = s.replace(anchor, anchor + ''.join(
    f'    {name}) TOOL=hey; URL="https://127.0.0.1:$ORIGIN_TLS_PORT/1k"; CONCS=$CONC_OTHER ;;\n'
    for name in ("https1k-new", "https1k-h2", "https1k-h2-new")))
# The origin offers h2 (and http/1.1) for the HTTP/2 scenarios.
anchor = '-https "127.0.0.1:$ORIGIN_TLS_PORT"'
assert anchor in s, "bench.sh changed: update bench/proxy.sh"
s = s.replace(anchor, anchor + ' -h2', 1)
sh.write_text(s)
py = base / "tools" / "runload.py"
s = py.read_text()
anchor = '        cmd = [a.hey, "-z", f"{a.duration}s", "-c", str(a.conc), "-t", "10"]\n'
assert anchor in s, "runload.py changed: update bench/proxy.sh"
s = s.replace(anchor, anchor + '        if a.scenario.endswith("-new"):\n            cmd.insert(1, "-disable-keepalive")\n'
              '        if "-h2" in a.scenario:\n            cmd.insert(1, "-h2")\n')
py.write_text(s)
PY

echo "bench: building polaris and goproxy-bare" >&2
(cd "$ROOT" && go build -tags nogui -o "$WORK/polaris" . && go build -o "$WORK/goproxy-bare" ./bench/goproxy-bare)

export POLARIS_NO_AUTO_UPDATE=1
for d in data data-noblock; do
  "$WORK/polaris" --data-dir "$WORK/$d" config set dnt 1 >/dev/null
  "$WORK/polaris" --data-dir "$WORK/$d" config set gpc on >/dev/null
  "$WORK/polaris" --data-dir "$WORK/$d" config set https.filter on >/dev/null
  for id in 2 3 4; do "$WORK/polaris" --data-dir "$WORK/$d" lists disable $id >/dev/null; done  # not downloaded here
done
"$WORK/polaris" --data-dir "$WORK/data-noblock" lists disable 1 >/dev/null
"$WORK/polaris" --data-dir "$WORK/data" config set blocking.custom-rules '||127.0.0.2^' >/dev/null

POLARIS_PORT=${POLARIS_PORT:-28228}
NOBLOCK_PORT=${NOBLOCK_PORT:-28230}
BARE_PORT=${BARE_PORT:-28229}

# Started by the harness, which exports BENCH_ORIGIN_CA (once its origin
# runs) and its EasyList/EasyPrivacy paths to the proxies it starts. The
# wrapper trusts the origin's certificate, subscribes Polaris to the lists
# (read once, copied into its data dir; adding them again is refused and
# ignored), then becomes Polaris itself (exec keeps the PID the harness
# measures).
wrapper() { # NAME DATADIR PORT WITH_LISTS
  {
    echo '#!/bin/sh'
    echo "'$WORK/polaris' --data-dir '$2' config set https.upstream-ca \"\$BENCH_ORIGIN_CA\" >/dev/null || exit 1"
    if [ "$4" = 1 ]; then
      echo 'for l in "$BENCH_EASYLIST" "$BENCH_EASYPRIVACY"; do'
      echo "  [ -s \"\$l\" ] && '$WORK/polaris' --data-dir '$2' lists add \"\$l\" >&2 || true"
      echo 'done'
    fi
    echo "exec '$WORK/polaris' run --data-dir '$2' --listen 127.0.0.1:$3"
  } >"$WORK/$1"
  chmod +x "$WORK/$1"
}
wrapper polaris-run "$WORK/data" "$POLARIS_PORT" 1
wrapper polaris-noblock-run "$WORK/data-noblock" "$NOBLOCK_PORT" 0

OUT=${OUT:-$ROOT/bench/results/proxy-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

export PEERS=${PEERS-"privoxy tinyproxy mitmdump"}
export SCENARIOS=${SCENARIOS:-"http1k block https1k https1k-new https1k-h2 https1k-h2-new"}
export CONC=${CONC:-16}
export DURATION=${DURATION:-10}
export REPEAT=${REPEAT:-3}
export BLOCKLIST_N=${BLOCKLIST_N:-1000}
export OUT

TARGETS=()
for t in ${POLARIS_TARGETS-goproxy-bare polaris polaris-noblock}; do
  case $t in
    goproxy-bare) TARGETS+=(--proxy "goproxy-bare|127.0.0.1:$BARE_PORT|$WORK/goproxy-bare -addr 127.0.0.1:$BARE_PORT") ;;
    polaris) TARGETS+=(--proxy "polaris|127.0.0.1:$POLARIS_PORT|$WORK/polaris-run") ;;
    polaris-noblock) TARGETS+=(--proxy "polaris-noblock|127.0.0.1:$NOBLOCK_PORT|$WORK/polaris-noblock-run") ;;
    *) echo "bench: unknown target $t" >&2; exit 2 ;;
  esac
done
"$WORK/bench-peers/bench.sh" "${TARGETS[@]}"
echo "bench: the lists Polaris had:" >&2
"$WORK/polaris" --data-dir "$WORK/data" lists >&2 || true
echo "bench: results in $OUT" >&2
