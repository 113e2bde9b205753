#!/usr/bin/env bash
# deps.sh PKG... — make sure the Debian packages are installed.
# As root (or with passwordless sudo) it installs what is missing; otherwise it
# prints the exact apt-get line and exits 1. Never prompts (CI has no stdin).
set -euo pipefail

if ! command -v go >/dev/null 2>&1; then
  echo "deps: Go is not installed. Install Go 1.26 or newer from https://go.dev/dl/ and run make again." >&2
  exit 1
fi

missing=()
for p in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: these packages are missing and this is not a Debian/Ubuntu system: ${missing[*]}" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "deps: missing Debian packages. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

had_tor=0
command -v tor >/dev/null 2>&1 && had_tor=1
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A new machine's package lists may be empty: update first.
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
# Debian's tor package starts a system-wide tor that joins the public network.
# Polaris runs its own private tor; stop the service we just caused to start.
if [ $had_tor -eq 0 ] && command -v systemctl >/dev/null 2>&1 && systemctl is-enabled tor >/dev/null 2>&1; then
  "${SUDO[@]}" systemctl disable --now tor >/dev/null 2>&1 || true
fi
