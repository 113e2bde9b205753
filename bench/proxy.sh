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
#   https1k      HTTPS through CONNECT, kept-alive connections (hey): Polaris and
#                mitmdump intercept (HTTPS filtering on, warm leaf cache), the
#                others tunnel
#   https1k-new  the same with a new connection, CONNECT and TLS handshake for
#                every request (hey -disable-keepalive): handshakes per second
# Polaris runs with https.filter on and https.upstream-ca = the origin's
# certificate ($BENCH_ORIGIN_CA), so it verifies the upstream as always.
#
#   bench/proxy.sh                      # 16 connections, 3 runs of 10 s each per scenario
#   DURATION=5 REPEAT=1 bench/proxy.sh  # quicker
#   SCENARIOS="https1k https1k-new" PEERS="mitmdump" bench/proxy.sh
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
# The copy gains a scenario: https1k with a new connection per request.
python3 - "$WORK/bench-peers" <<'PY'
import sys, pathlib
base = pathlib.Path(sys.argv[1])
sh = base / "bench.sh"
s = sh.read_text()
anchor = '    https1k)    TOOL=hey; URL="https://127.0.0.1:$ORIGIN_TLS_PORT/1k"; CONCS=$CONC_OTHER ;;\n'
assert anchor in s, "bench.sh changed: update bench/proxy.sh"
s = s.replace(anchor, anchor + '    https1k-new) TOOL=hey; URL="https://127.0.0.1:$ORIGIN_TLS_PORT/1k"; CONCS=$CONC_OTHER ;;\n')
sh.write_text(s)
py = base / "tools" / "runload.py"
s = py.read_text()
anchor = '        cmd = [a.hey, "-z", f"{a.duration}s", "-c", str(a.conc), "-t", "10"]\n'
assert anchor in s, "runload.py changed: update bench/proxy.sh"
s = s.replace(anchor, anchor + '        if a.scenario.endswith("-new"):\n            cmd.insert(1, "-disable-keepalive")\n')
py.write_text(s)
PY

echo "bench: building polaris and goproxy-bare" >&2
(cd "$ROOT" && go build -tags nogui -o "$WORK/polaris" . && go build -o "$WORK/goproxy-bare" ./bench/goproxy-bare)

DATA=$WORK/data
"$WORK/polaris" --data-dir "$DATA" config set dnt 1 >/dev/null
"$WORK/polaris" --data-dir "$DATA" config set gpc on >/dev/null

"$WORK/polaris" --data-dir "$DATA" config set https.filter on >/dev/null
POLARIS_PORT=${POLARIS_PORT:-28228}
# Started by the harness, which exports BENCH_ORIGIN_CA once the origin runs;
# exec keeps the PID the harness measures.
cat >"$WORK/polaris-run" <<RUN
#!/bin/sh
"$WORK/polaris" --data-dir "$DATA" config set https.upstream-ca "\$BENCH_ORIGIN_CA" >/dev/null || exit 1
exec "$WORK/polaris" run --data-dir "$DATA" --listen 127.0.0.1:$POLARIS_PORT
RUN
chmod +x "$WORK/polaris-run"
BARE_PORT=${BARE_PORT:-28229}
OUT=${OUT:-$ROOT/bench/results/proxy-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

export PEERS=${PEERS-"privoxy tinyproxy mitmdump"}
export SCENARIOS=${SCENARIOS:-"http1k https1k https1k-new"}
export CONC=${CONC:-16}
export DURATION=${DURATION:-10}
export REPEAT=${REPEAT:-3}
export BLOCKLIST_N=${BLOCKLIST_N:-1000}
export OUT

"$WORK/bench-peers/bench.sh" \
  --proxy "goproxy-bare|127.0.0.1:$BARE_PORT|$WORK/goproxy-bare -addr 127.0.0.1:$BARE_PORT" \
  --proxy "polaris|127.0.0.1:$POLARIS_PORT|$WORK/polaris-run"
echo "bench: results in $OUT" >&2
