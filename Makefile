# Polaris — `make run` and `make test` do all set-up on a fresh Debian/Ubuntu machine.

GO        ?= go
BINARY    ?= polaris
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
GOTESTFLAGS ?= -race -timeout 20m
# The windowed build leaves out Fyne's colour emoji font: Polaris shows no
# emoji, and Fyne parses the 4 MB font for every text style it draws, which
# cost 13 MB of the window's memory (docs/PERFORMANCE.md, idle cost).
GUITAGS   ?= no_emoji

# Debian packages: to build (cgo, Fyne's GL/X11/Wayland headers) and to test
# (tor for the private Tor network, Xvfb for the window, certutil for NSS,
# dbus/dconf/gsettings for the system-proxy tests, wrk for load, Chromium and
# Firefox ESR for the browser tests, util-linux's unshare for their network
# namespace, age to read an encrypted export with the standard tool, xdotool
# to type and click into the window).
DEPS_BUILD := gcc pkg-config libc6-dev libgl1-mesa-dev libx11-dev libxrandr-dev libxcursor-dev \
	libxinerama-dev libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev
DEPS_RUN   := tor tor-geoipdb obfs4proxy snowflake-client snowflake-proxy
DEPS_TEST  := $(DEPS_RUN) xvfb xauth x11-utils imagemagick libnss3-tools ca-certificates openssl dbus dconf-service \
	dconf-gsettings-backend gsettings-desktop-schemas libglib2.0-bin dconf-cli libkf5config-bin python3-pacparser \
	iproute2 procps psmisc chromium firefox-esr util-linux age xdotool
DEPS_BENCH := wrk hey privoxy tinyproxy mitmproxy squid

.PHONY: all run build build-nogui test vet cross deps deps-test deps-bench bench fuzz screenshots package clean help

all: build

help:
	@echo "make run     install what is missing, build, start Polaris"
	@echo "make test    install what is missing, go vet, go test -race (every test)"
	@echo "make bench   side-by-side benchmarks (bench/)"
	@echo "make fuzz    every fuzz target, 10 minutes each (scripts/fuzz.sh; TIME=, JOBS=)"
	@echo "make screenshots  capture every screen of the window into docs/screenshots/ (Xvfb)"

# deps: install the missing Debian packages (as root, or with sudo), or print
# the exact command and stop.
deps:
	@scripts/deps.sh $(DEPS_BUILD) $(DEPS_RUN)

deps-test:
	@scripts/deps.sh $(DEPS_BUILD) $(DEPS_TEST)

deps-bench:
	@scripts/deps.sh $(DEPS_BUILD) $(DEPS_TEST) $(DEPS_BENCH)

build: deps
	$(GO) build -tags $(GUITAGS) -ldflags "$(LDFLAGS)" -o $(BINARY) .

build-nogui:
	$(GO) build -tags nogui -ldflags "$(LDFLAGS)" -o $(BINARY)-nogui .

run: build
	./$(BINARY) $(ARGS)

vet:
	$(GO) vet ./...

# The packaging test runs `go tool fyne` inside the e2e network namespace,
# which has no Internet: fetch and build the tool before.
test: deps-test cross
	$(GO) build -o /dev/null fyne.io/tools/cmd/fyne
	$(GO) vet ./...
	$(GO) test $(GOTESTFLAGS) ./...

# cross: every package and its tests type-check (go vet) for macOS and
# Windows; nothing is linked or run. Fyne's window needs cgo and the OS's
# own toolkit: on Windows its `ci` tag leaves cgo out, so ui and the GUI
# main are checked too; on macOS Fyne cannot be checked without Apple's
# toolchain, so ui (and bench/fynefloor, a bare Fyne app) is left out there
# and main is checked headless (nogui).
# ui has no macOS-only file: its code is the one checked for Linux and Windows.
# e2e is left out: its harness is Linux's (network namespaces, Xvfb, /proc).
CROSS_PKGS = $$($(GO) list ./... | grep -v -x -e polaris/e2e $(1))
cross:
	GOOS=windows $(GO) vet -tags ci $(call CROSS_PKGS)
	GOOS=windows $(GO) vet -tags nogui .
	GOOS=darwin $(GO) vet -tags nogui $(call CROSS_PKGS,-e polaris/ui -e polaris/bench/fynefloor)

bench: deps-bench build-nogui
	bench/proxy.sh

# fuzz: every fuzz target for TIME (default 10m) each, JOBS (2) at a time.
fuzz: deps
	scripts/fuzz.sh

# screenshots: run the real binary under Xvfb on a prepared data dir and
# capture each screen (scripts/screenshots.sh).
screenshots: deps-test build
	BIN=./$(BINARY) scripts/screenshots.sh

# package: the Linux desktop package (fyne package: binary, icon, .desktop
# entry) in dist/Polaris.tar.xz, plus a headless-only binary. The packaged
# `polaris` runs headless too (`polaris run`). Other OSes: docs/PACKAGING.md.
package: deps
	mkdir -p dist
	@# fyne package counts builds up in FyneApp.toml; keep the file as committed.
	cp FyneApp.toml dist/.FyneApp.toml.orig
	$(GO) tool fyne package -os linux -release -name Polaris -icon assets/icon.png --tags $(GUITAGS); \
		status=$$?; mv dist/.FyneApp.toml.orig FyneApp.toml; exit $$status
	mv Polaris.tar.xz dist/
	$(GO) build -tags nogui -trimpath -ldflags "$(LDFLAGS) -s -w" -o dist/polaris-headless .
	@echo "dist/Polaris.tar.xz: unpack and run 'sudo make install' inside it (or copy usr/local to ~/.local)"

clean:
	rm -f $(BINARY) $(BINARY)-nogui
	rm -rf dist
