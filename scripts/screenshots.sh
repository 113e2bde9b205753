#!/usr/bin/env bash
# screenshots.sh — write docs/screenshots/*.png from the real polaris binary.
#
# Runs ./polaris (or $BIN) under Xvfb on a throw-away data dir prepared with
# `polaris config set`, opens each screen in turn (hidden switch
# POLARIS_UI_SCREEN), waits for the window, and captures it with ImageMagick's
# `import`. Needs xvfb-run, xwininfo (x11-utils) and import (imagemagick).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-./polaris}
OUT=${OUT:-docs/screenshots}

# Never download lists from the Internet while taking pictures.
export POLARIS_NO_AUTO_UPDATE=1

if [ "${1:-}" != "--inside" ]; then
  for tool in xvfb-run xwininfo import; do
    command -v "$tool" >/dev/null || { echo "screenshots: $tool is missing (make deps-test installs it)" >&2; exit 1; }
  done
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  data="$tmp/data"
  cfg() { "$BIN" --data-dir "$data" config set "$@" >/dev/null; }
  # A data dir that looks lived in: choices made, exceptions, allowed sites, rules.
  cfg dnt 1
  cfg signals.exceptions "mybank.example=off,news.example=0"
  cfg blocking.allowlist "shop.example,*.intranet.example"
  cfg https.exclusions "health.example"
  cfg tor.bridges obfs4
  cfg blocking.custom-rules $'! My own rules\n||ads.example^\n||metrics.example^$third-party\n||127.0.0.2^\n@@||cdn.shop.example^'
  # Thirty days of daily counts, as a user who browses a lot would have
  # (imported like a user's own export), and a list copied from a file.
  python3 - "$tmp/seed.json" <<'PY'
import json, sys, datetime, random
random.seed(7)
cats = ["advertising", "analytics", "social", "fingerprinting", "email"]
trackers = ["doubleclick.net", "google-analytics.com", "facebook.net", "scorecardresearch.com", "criteo.com", "hotjar.com"]
days = []
today = datetime.date.today()
for i in range(29, -1, -1):
    d = today - datetime.timedelta(days=i)
    scale = 0.6 if d.weekday() >= 5 else 1.0
    blocked = {c: int(random.randint(40, 400) * scale * w) for c, w in zip(cats, [1.6, 1.2, 0.5, 0.2, 0.1])}
    days.append({"day": int(d.strftime("%Y%m%d")), "requests": sum(blocked.values()) * 9,
                 "blockedByCategory": blocked,
                 "blockedByTracker": {t: random.randint(10, 200) for t in trackers}})
json.dump({"format": "polaris-data-export", "version": 1, "exported": today.isoformat() + "T00:00:00Z",
           "sections": {"stats": days}}, open(sys.argv[1], "w"))
PY
  "$BIN" --data-dir "$data" data import "$tmp/seed.json" >/dev/null
  printf '! Title: Office trackers\n||tracker.office.example^\n||beacon.office.example^$third-party\n' >"$tmp/office.txt"
  "$BIN" --data-dir "$data" lists add "$tmp/office.txt" --name "Office trackers" >/dev/null
  # The default lists as if downloaded, from the snapshots in ../shared
  # (read in place; nothing is fetched from the Internet).
  shared=${POLARIS_SHARED:-}
  if [ -z "$shared" ]; then
    d=$PWD
    while [ "$d" != / ]; do
      d=$(dirname "$d")
      if [ -d "$d/shared/blocklists" ]; then shared=$d/shared; break; fi
    done
  fi
  if [ -n "$shared" ]; then
    for pair in 2:easyprivacy.txt 3:easylist.txt 4:peter-lowe-serverlist-abp.txt; do
      "$BIN" --data-dir "$data" lists update "${pair%%:*}" --from "$shared/blocklists/${pair#*:}" >/dev/null
    done
  else
    echo "screenshots: no shared/blocklists found (set POLARIS_SHARED); the default lists will show as not downloaded" >&2
  fi
  mkdir -p "$OUT"
  export XDG_RUNTIME_DIR="$tmp/run"
  mkdir -m 0700 "$XDG_RUNTIME_DIR"
  exec xvfb-run -a -s "-screen 0 1280x1700x24 -noreset" "$0" --inside "$data" "$tmp"
fi

data=$2
tmp=$3
# A little traffic for the live log: pages from a local server, trackers
# on 127.0.0.2 that a rule blocks.
python3 -m http.server --bind 127.0.0.1 28781 >/dev/null 2>&1 &
origin=$!
trap 'kill $origin 2>/dev/null' EXIT
# The requests come as from Firefox (its User-Agent), so that the window
# counts a browser using Polaris, as it does on a user's machine.
ua="Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0"
traffic() { # traffic PORT
  for i in 1 2 3; do
    curl -s -A "$ua" -o /dev/null -x "127.0.0.1:$1" -H "Referer: http://news.example/" "http://127.0.0.2:28781/pixel.gif?id=$i" || true
    curl -s -A "$ua" -o /dev/null -x "127.0.0.1:$1" "http://127.0.0.1:28781/" || true
  done
  curl -s -A "$ua" -o /dev/null -x "127.0.0.1:$1" -H "Referer: http://news.example/" -H "Sec-Fetch-Dest: script" "http://127.0.0.2:28781/analytics.js" || true
}
shot() { # shot NAME SCREEN THEME [WxH]
  local name=$1 screen=$2 theme=$3 size=${4:-1000x720} log="$tmp/$1.log"
  FYNE_THEME=$theme POLARIS_UI_SCREEN=$screen POLARIS_UI_SIZE=$size "$BIN" --data-dir "$data" --listen 127.0.0.1:28780 >"$log" 2>&1 &
  local pid=$! id=""
  for _ in $(seq 100); do
    grep -q "window shown" "$log" && id=$(xwininfo -root -tree | awk '/"Polaris": \("Polaris"/ {print $1; exit}')
    [ -n "$id" ] && break
    sleep 0.1
  done
  if [ -z "$id" ]; then
    echo "screenshots: the window did not appear for $screen" >&2
    cat "$log" >&2
    kill "$pid"
    exit 1
  fi
  traffic 28780
  sleep 1.5 # let the first snapshots and on-demand data arrive
  import -window "$id" -colors 256 "PNG8:$OUT/$name.png" # a palette keeps the files small
  kill -TERM "$pid"
  wait "$pid" || true
  echo "wrote $OUT/$name.png"
}
shot overview overview light
shot overview-dark overview dark
shot setup setup light 1000x720
shot signals signals light 1000x1150
shot blocking blocking light 1000x1250
shot blocking-lists blocking/lists light
shot blocking-allowed blocking/allowed light
shot blocking-rules blocking/rules light
shot blocking-activity blocking/activity light
shot https https light 1000x1450
shot tor tor light 1000x1300
shot system system light 1000x1700
