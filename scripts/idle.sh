#!/usr/bin/env bash
# idle.sh — Polaris's idle cost: CPU (share of one core) and resident memory
# of the windowed binary, with its window open and idle, and with the window
# closed to the background (POLARIS_UI_BACKGROUND=1, as after closing it with
# a tray or "Keep running"). Runs ./polaris (or $BIN) on a private Xvfb with
# a data dir holding EasyList and EasyPrivacy (the copies in ../shared, read
# in place) and no list updates; measures utime+stime from /proc/PID/stat
# over $SECS seconds (default 60) after a $SETTLE-second settle (default 10),
# and at the end VmRSS from /proc/PID/status, with PSS (shared pages split
# among the processes mapping them) and the private pages (USS) from
# /proc/PID/smaps_rollup.
#
#   make build && scripts/idle.sh            # both modes
#   MODES=background scripts/idle.sh         # one mode
#   FLOOR=1 scripts/idle.sh                  # also a bare Fyne window (bench/fynefloor), shown and hidden
#   MODES="window window-nolists" scripts/idle.sh   # the window with no list at all, for the lists' share
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-./polaris}
SECS=${SECS:-60}
SETTLE=${SETTLE:-10}
MODES=${MODES:-"window background"}
PORT=${PORT:-28790}
export POLARIS_NO_AUTO_UPDATE=1

if [ "${1:-}" != "--inside" ]; then
  command -v xvfb-run >/dev/null || { echo "idle: xvfb-run is missing (make deps-test installs it)" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  data="$tmp/data"
  shared=${POLARIS_SHARED:-../shared}
  "$BIN" --data-dir "$tmp/data0" config set dnt 1 >/dev/null
  "$BIN" --data-dir "$data" config set dnt 1 >/dev/null
  for l in easylist easyprivacy; do
    "$BIN" --data-dir "$data" lists add "$shared/blocklists/$l.txt" >/dev/null
  done
  export XDG_RUNTIME_DIR="$tmp/run"
  mkdir -m 0700 "$XDG_RUNTIME_DIR"
  xvfb-run -a -s "-screen 0 1280x800x24 -noreset" "$0" --inside "$data" "$tmp"
  exit
fi

data=$2
tmp=$3
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
echo "machine: $(nproc) cores, $(awk '{print $1, $2, $3}' /proc/loadavg) load, $(uname -sr)"
echo "binary: $BIN ($("$BIN" version 2>/dev/null | head -1 || true))"
if [ -n "${FLOOR:-}" ]; then
  go build -tags "${GUITAGS:-no_emoji}" -o "$tmp/fynefloor" ./bench/fynefloor # the tags of make build
  MODES="$MODES floor-window floor-hidden"
fi
for mode in $MODES; do
  bg=0
  [ "$mode" = background ] && bg=1
  case $mode in
  floor-window) "$tmp/fynefloor" >"$tmp/$mode.log" 2>&1 & ;;
  floor-hidden) "$tmp/fynefloor" -hidden >"$tmp/$mode.log" 2>&1 & ;;
  window-nolists) POLARIS_UI_SCREEN=overview "$BIN" --data-dir "$tmp/data0" --listen "127.0.0.1:$PORT" >"$tmp/$mode.log" 2>&1 & ;;
  *) POLARIS_UI_BACKGROUND=$bg POLARIS_UI_SCREEN=overview "$BIN" --data-dir "$data" --listen "127.0.0.1:$PORT" >"$tmp/$mode.log" 2>&1 & ;;
  esac
  pid=$!
  sleep "$SETTLE"
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "idle: polaris exited; its log:" >&2
    cat "$tmp/$mode.log" >&2
    exit 1
  fi
  t0=$(ticks "$pid")
  s0=$(date +%s.%N)
  sleep "$SECS"
  t1=$(ticks "$pid")
  s1=$(date +%s.%N)
  kb=$(rss "$pid")
  pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
  uss=$(awk '/^Private_(Clean|Dirty):/ {n += $2} END {print n}' "/proc/$pid/smaps_rollup")
  kill -TERM "$pid"
  wait "$pid" || true
  awk -v m="$mode" -v t="$((t1 - t0))" -v hz="$hz" -v a="$s0" -v b="$s1" -v kb="$kb" -v pss="$pss" -v uss="$uss" \
        'BEGIN { printf "%-12s cpu %.2f %% of a core over %.0f s, RSS %.0f MB (PSS %.0f MB, private %.0f MB)\n", m, 100 * t / hz / (b - a), b - a, kb / 1024, pss / 1024, uss / 1024 }'
done
