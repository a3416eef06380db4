# IdP Sync: `make demo` opens the app, `make test` runs every test. See README.md.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT    := $(CURDIR)
WAILS   := $(ROOT)/build/.tools/bin/wails
# WebKitGTK 4.1 (libwebkit2gtk-4.1-dev); ignored on macOS and Windows.
TAGS    ?= webkit2_41
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/idpsync/idpsync/internal/version.Version=$(VERSION)
WAILS_FLAGS := -m -nosyncgomod -nocolour
NPM_STAMP := frontend/node_modules/.package-lock.json

# Debian/Ubuntu packages: building the app, then running its tests (display, window capture,
# browser, Secret Service). Never dbus-x11: it autolaunches session buses that outlive the tests.
APT_BUILD := build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev
# fonts-noto-core and fonts-noto-cjk: every script of the demo tenant's names (Arabic, Hebrew,
# Greek, Cyrillic, Vietnamese, Chinese) renders, not as missing-glyph boxes; e2e checks it.
APT_TEST  := xvfb xauth xdotool imagemagick x11-utils chromium gnome-keyring libsecret-tools dbus-user-session curl fonts-noto-core fonts-noto-cjk

# -trimpath for what make builds and tests (not `make dev`, where a debugger wants the real
# paths): the binaries name no folder of the machine that built them, and the build cache is
# keyed by the sources rather than the checkout's path, so a fresh clone of a built commit
# compiles nothing again. Without it a fresh clone recompiled all of this repository's
# packages in each configuration (race, linux, windows, darwin, dev): go test -race's build
# alone 92 compiles and 63 CPU-s, with it 0 compiles and 30 CPU-s (the links remain).
test build build-windows demo bench bench-xl soak e2e-filter-l: export GOFLAGS := $(strip $(GOFLAGS) -trimpath)

.PHONY: help deps deps-apt deps-tools bindings frontend build build-windows dev demo test bench bench-xl e2e-filter-l soak clean

help:
	@echo "make demo           install what is missing, build, open the app (IDPSYNC_DEMO=1)"
	@echo "make test           install what is missing, run every test (Go, frontend, e2e, window, Windows build)"
	@echo "make build          production binary for this machine: build/bin/idpsync"
	@echo "make build-windows  cross-built build/bin/idpsync.exe (+ NSIS installer if makensis exists)"
	@echo "make dev            wails dev (live reload)"
	@echo "make bench          the sync benchmark: scenarios M and L and the pacing runs (build/bench-results.json)"
	@echo "make bench-xl       scenario XL: 1,000,000 users, 100,000 groups, ~7.7 M memberships (about an hour; build/bench-xl-results.json)"
	@echo "make e2e-filter-l   the L preview and report tables filtered in Chromium: keystroke-to-rows figure (about 10 minutes)"
	@echo "make soak           the long fault soak and crash series (internal/reliability; about 10 minutes)"
	@echo "make deps           only install what is missing (apt, npm, Wails CLI)"

deps: deps-apt deps-tools

# Installs only the missing packages; `apt-get update` only when something is missing.
deps-apt:
	@if ! command -v dpkg-query >/dev/null; then \
	  echo "deps: not a Debian/Ubuntu system; install the equivalents of: $(APT_BUILD) (see README.md)"; exit 0; fi; \
	missing=""; \
	for p in $(APT_BUILD) $(APT_TEST); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "deps: installing$$missing"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -q; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $$missing; \
	fi; \
	if dpkg-query -W -f='$${Status}' dbus-x11 2>/dev/null | grep -q '^install ok installed$$'; then \
	  echo "deps: warning: dbus-x11 is installed; it can leave stray D-Bus daemons behind (tests use dbus-run-session)"; fi

deps-tools: $(WAILS) $(NPM_STAMP)

# The Wails CLI v2.9.2 from its own module: `go install .../wails@v2.9.2` does not compile on
# Go 1.26 (it pins golang.org/x/tools v0.17.0); build/tools/wails raises x/tools.
$(WAILS): build/tools/wails/go.mod build/tools/wails/go.sum
	@command -v go >/dev/null || { echo "Go 1.26 or newer is required: https://go.dev/dl/"; exit 1; }
	go -C build/tools/wails build -o $(WAILS) github.com/wailsapp/wails/v2/cmd/wails

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20.19+ with npm is required: https://nodejs.org/"; exit 1; }
	cd frontend && npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

# Only the .d.ts and models.ts of the generated bindings are committed (tsc and Vitest work from
# a fresh clone); the .js that Vite bundles is generated here, as `wails build` and `wails dev` do.
bindings: $(WAILS)
	WAILS=$(WAILS) TAGS="$(TAGS)" build/scripts/bindings.sh

frontend: $(NPM_STAMP) bindings
	npm --prefix frontend run build

build: deps-tools frontend
	$(WAILS) build $(WAILS_FLAGS) -s -skipbindings -tags "$(TAGS)" -ldflags "$(LDFLAGS)"

build-windows: deps-tools frontend
	WAILS=$(WAILS) LDFLAGS="$(LDFLAGS)" build/scripts/build-windows.sh

dev: deps-tools bindings
	$(WAILS) dev $(WAILS_FLAGS) -tags "$(TAGS)"

# Opens the app on the built-in demo tenant (IDPSYNC_DEMO=1: loopback emulators of Graph, the
# identity platform and Atlassian, so nothing reaches a real tenant). Without a desktop session
# bus (e.g. under xvfb-run) it gets a private one with an unlocked keyring.
demo: deps build
	@if [ -n "$${DBUS_SESSION_BUS_ADDRESS:-}" ]; then IDPSYNC_DEMO=1 ./build/bin/idpsync; \
	else IDPSYNC_DEMO=1 build/scripts/with-session.sh --keep-display ./build/bin/idpsync; fi

test: deps
	@WAILS=$(WAILS) TAGS="$(TAGS)" LDFLAGS="$(LDFLAGS)" build/scripts/test.sh

# The long versions of internal/reliability's fault soak (ten alternating full and incremental
# syncs of a 1,500-user tenant under every fault kind on both sides) and crash series (twenty
# SIGKILLs of a 1,200-user sync); `make test` runs the short versions of the same tests.
soak:
	IDPSYNC_SOAK=1 go test -count=1 -timeout 60m -v -run 'TestFaultSoak|TestCrashAtTwentyPointsThenResume|TestGroupBeyondAtlassianLimit' ./internal/reliability/

bench:
	go run ./internal/bench -json build/bench-results.json $(BENCH_FLAGS)

# Atlassian's published maximum directory, with the same emulated services and runs as L
# (initial, no change, 0.1 %, 1 % beside a full reconcile); not part of make test.
bench-xl:
	go run ./internal/bench -scenarios XL -pacing "" -json build/bench-xl-results.json $(BENCH_FLAGS)

# Issue 15's browser figure: the demo tenant at scenario L previewed through the real backend, and
# its preview and report tables filtered keystroke by keystroke in Chromium (e2e scenario
# filter-l-preview-and-report, frontend/e2e/scenarios/filterl.mjs). It prints the figure and
# asserts no time. Not part of make test: the L preview alone took 207 s on this loaded machine.
e2e-filter-l: deps bindings
	IDPSYNC_DEMO_SIZE=L IDPSYNC_DEMO_SETUP=1 IDPSYNC_DEMO_LATENCY= WAILS_TAGS="$(TAGS)" \
	  build/scripts/e2e.sh filter-l-preview-and-report

clean:
	rm -rf build/bin frontend/dist/assets frontend/dist/index.html frontend/dist/favicon.svg
