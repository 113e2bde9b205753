// SPDX-License-Identifier: GPL-3.0-or-later

// Package layers states who may import whom in Polaris: one table, the
// code form of STYLE.md's "Who may import whom", checked against every
// package for linux, darwin and windows by this package's test (the idea of
// Tailscale's deptest, written for Polaris). Nothing imports it.
//
// Imports point down. A package may import the Polaris packages and the
// libraries its layer names, and the standard library except what its
// layer refuses; a package that is in no layer is an error, so a new
// package gets its row before it lands.
package layers

import (
	"fmt"
	"slices"
	"strings"
)

// A Layer is a set of packages with the same rights.
type Layer struct {
	// Name is the layer as STYLE.md names it.
	Name string
	// Packages are import paths; "polaris/x/..." is polaris/x and every
	// package under it. A package not written yet may have a row.
	Packages []string
	// Rule says in words what the layer is and may import; it is printed
	// when one of its packages breaks it.
	Rule string
	// May are the Polaris packages its code may import.
	May []string
	// Libs are the module path prefixes outside the standard library its
	// code may import.
	Libs []string
	// NoStd are standard packages its code must not import, and why.
	NoStd map[string]string
	// Tests are what its _test.go files may import besides May and Libs
	// (and the test helpers every test may use: TestHelpers). Owned
	// packages among them carry their reason in TestWhy.
	Tests []string
	// TestWhy says why Tests include packages another layer owns.
	TestWhy string
}

// Polaris's packages, by name.
const (
	Main       = "polaris"
	Assets     = "polaris/assets"
	Blocklist  = "polaris/blocklist"
	Settings   = "polaris/internal/settings"
	Status     = "polaris/internal/status"
	Proxy      = "polaris/proxy"
	Tor        = "polaris/tor"
	Snowflake  = "polaris/snowflake"
	Store      = "polaris/internal/store"
	CA         = "polaris/internal/ca"
	Sysproxy   = "polaris/internal/sysproxy"
	Resolver   = "polaris/internal/resolver"
	Lists      = "polaris/internal/lists"
	Stats      = "polaris/internal/stats"
	Instance   = "polaris/internal/instance"
	Browsers   = "polaris/internal/browsers"
	App        = "polaris/internal/app"
	UI         = "polaris/ui"
	CLI        = "polaris/internal/cli"
	E2E        = "polaris/e2e"
	Bench      = "polaris/bench/..."
	Testenv    = "polaris/internal/testenv"
	DNSTest    = "polaris/internal/resolver/dnstest"
	AtomicFile = "polaris/internal/atomicfile"
	Passphrase = "polaris/internal/passphrase"
	Seal       = "polaris/internal/seal"
	Self       = "polaris/internal/layers"
)

// Libraries, by the module path prefix they are imported under.
const (
	Fyne     = "fyne.io/fyne/v2"
	GLFW     = "github.com/go-gl/glfw"
	Goproxy  = "github.com/elazarl/goproxy"
	Bine     = "github.com/cretz/bine"
	SQLite   = "github.com/mattn/go-sqlite3"
	UTLS     = "github.com/refraction-networking/utls"
	MiekgDNS = "github.com/miekg/dns"
	DNSProxy = "github.com/AdguardTeam/dnsproxy"
	XNet     = "golang.org/x/net"
	XSys     = "golang.org/x/sys"
	XCrypto  = "golang.org/x/crypto"
	Brotli   = "github.com/andybalholm/brotli"
	Compress = "github.com/klauspost/compress"
	XSync    = "golang.org/x/sync"
	GoCmp    = "github.com/google/go-cmp"
	Chromedp = "github.com/chromedp"
	Gorilla  = "github.com/gorilla/websocket"
	CoderWS  = "github.com/coder/websocket"
	Age      = "filippo.io/age"
)

// The groups STYLE.md names.
var (
	// PureLeaves import the standard library (and x/net) only: they are
	// values and pure functions, no I/O.
	PureLeaves = []string{Blocklist, Settings, Status, Assets}
	// Services are the app's parts that are neither adapters nor pure.
	Services = []string{Lists, Stats, Instance, Browsers}
	// FileLeaves do one small piece of file I/O for the layers that write
	// files (standard library only).
	FileLeaves = []string{AtomicFile}
	// Adapters wrap one library or one part of the system each.
	Adapters = []string{Proxy, Tor, Snowflake, Store, CA, Sysproxy, Resolver, Seal}
)

// noIO is what the pure leaves must not import.
var noIO = map[string]string{
	"net/http":     "a pure leaf speaks no HTTP: the proxy converts each request once",
	"os":           "a pure leaf does no I/O: data comes in as readers and values",
	"os/exec":      "a pure leaf runs nothing",
	"database/sql": "storage belongs to internal/store",
	"log":          "a pure leaf returns errors; the app logs them",
	"log/slog":     "a pure leaf returns errors; the app logs them",
}

// engineNoIO is noIO and more, for the engine.
var engineNoIO = with(noIO, map[string]string{
	"net":    "the engine does no networking",
	"unsafe": "the engine stays memory-safe",
})

// Owned are the packages only some layers may import, and why: printed
// when another layer imports one.
var Owned = map[string]string{
	"database/sql": "only internal/store touches SQL (one writer connection, WAL, migrations)",
	SQLite:         "only internal/store touches SQLite",
	Goproxy:        "only proxy/ knows goproxy: adapters export no type of their library (and goproxy's built-in CA key is public)",
	Bine:           "only tor/ knows bine: adapters export no type of their library",
	UTLS:           "only proxy/ makes upstream TLS handshakes",
	MiekgDNS:       "only internal/resolver speaks DNS",
	DNSProxy:       "only internal/resolver speaks DNS",
	Age:            "only internal/seal encrypts and decrypts exports",
	Fyne:           "Fyne stays in ui/: main, the engine and the headless binary (nogui) never import it",
	GLFW:           "only ui/ reaches under Fyne to its GLFW window, and only for the display connection its idle park waits on",
	Testenv:        "the test helpers are for _test.go files only",
	DNSTest:        "the test DNS servers are for _test.go files only",
}

// TestHelpers are what every package's tests may import.
var TestHelpers = []string{Testenv, DNSTest, GoCmp}

// Table is who may import whom.
var Table = []Layer{
	{
		Name:     "main",
		Packages: []string{Main},
		Rule:     "main.go composes only: flags, build the app, hand it to the GUI or the headless CLI; it imports internal/app, ui and internal/cli",
		May:      []string{App, UI, CLI},
	},
	{
		Name:     "ui",
		Packages: []string{UI},
		Rule:     "ui is Fyne only (and Fyne's GLFW, for the display connection the idle park waits on) and talks to the engine through one Controller interface (ui/controller.go): it imports internal/settings, internal/status, internal/passphrase and assets, never an adapter, a service, internal/app or internal/cli (rules are checked with Controller.ValidateRule)",
		May:      []string{Settings, Status, Assets, Passphrase},
		Libs:     []string{Fyne, GLFW},
	},
	{
		Name:     "cli",
		Packages: []string{CLI},
		Rule:     "internal/cli is a thin client of the engine, which main hands it as a Backend: it imports internal/settings, internal/status, internal/passphrase and assets, and blocklist (the pure engine) for `polaris match`; never an adapter, a service or internal/app",
		May:      []string{Settings, Status, Assets, Blocklist, Passphrase},
		Libs:     []string{XSys},
	},
	{
		Name:     "app",
		Packages: []string{App},
		Rule:     "internal/app composes: it may import every service, adapter, pure leaf, internal/atomicfile and internal/passphrase, never ui, internal/cli or Fyne (the window and the command line are its clients)",
		May:      concat(Services, Adapters, PureLeaves, FileLeaves, []string{Passphrase}),
		Libs:     []string{XNet, XSys},
		Tests:    []string{"database/sql", SQLite},
		TestWhy:  "the degraded-mode tests lock the real database file from a second SQLite connection, as another program would",
	},
	{
		Name:     "services",
		Packages: Services,
		Rule:     "internal/lists, internal/stats, internal/instance and internal/browsers import the pure leaves, internal/store and internal/atomicfile: never an adapter, never each other (siblings meet in internal/app)",
		May:      concat(PureLeaves, FileLeaves, []string{Store}),
		Libs:     []string{XNet, XSys},
	},
	{
		Name:     "proxy",
		Packages: []string{Proxy},
		Rule:     "proxy/ is the goproxy adapter: it imports the pure leaves and its library (goproxy, x/net, uTLS for upstream handshakes, brotli and klauspost/compress to decode what the site checks fetch as a browser would), never a sibling adapter: proxy.Config takes a DialContext func (direct or Tor) and a TLSConfigForHost func (from internal/ca)",
		May:      PureLeaves,
		Libs:     []string{Goproxy, XNet, UTLS, Brotli, Compress},
	},
	{
		Name:     "tor",
		Packages: []string{Tor},
		Rule:     "tor/ is the bine adapter: it imports the pure leaves and its library (bine, x/net), never a sibling adapter (siblings meet in internal/app)",
		May:      PureLeaves,
		Libs:     []string{Bine, XNet},
	},
	{
		Name:     "snowflake",
		Packages: []string{Snowflake},
		Rule:     "snowflake/ runs the snowflake-proxy program (a Snowflake proxy that helps people reach Tor): the standard library only, never a sibling adapter (siblings meet in internal/app)",
		Tests:    []string{Testenv},
		TestWhy:  "its tests run the real program in a network namespace of their own (testenv.InNetns)",
	},
	{
		Name:     "store",
		Packages: []string{Store},
		Rule:     "internal/store is the SQLite adapter (the only importer of database/sql): it imports the pure leaves and go-sqlite3, never a sibling adapter",
		May:      PureLeaves,
		Libs:     []string{"database/sql", SQLite},
	},
	{
		Name:     "ca",
		Packages: []string{CA},
		Rule:     "internal/ca is the certificate adapter over the standard library: it imports the pure leaves, internal/browsers (where the trust stores are), internal/atomicfile and x/net, x/crypto; never goproxy (its CA key is public) nor a sibling adapter",
		May:      concat(PureLeaves, FileLeaves, []string{Browsers}),
		Libs:     []string{XNet, XCrypto},
	},
	{
		Name:     "sysproxy",
		Packages: []string{Sysproxy},
		Rule:     "internal/sysproxy is the OS-settings adapter: it imports the pure leaves, internal/browsers, internal/atomicfile and x/sys (the Windows registry); never the store (the journal is an interface), the proxy or a GUI",
		May:      concat(PureLeaves, FileLeaves, []string{Browsers}),
		Libs:     []string{XSys},
	},
	{
		Name:     "resolver",
		Packages: []string{Resolver},
		Rule:     "internal/resolver is the DNS adapter: it imports the pure leaves and its library (miekg/dns, AdGuard's dnsproxy, x/net, x/sync), never a sibling adapter: the proxy gets its lookups from internal/app",
		May:      PureLeaves,
		Libs:     []string{MiekgDNS, DNSProxy, XNet, XSync},
	},
	{
		Name:     "seal",
		Packages: []string{Seal},
		Rule:     "internal/seal is the encryption adapter (age, its scrypt passphrase recipient): it imports the pure leaves, internal/passphrase and filippo.io/age, never a sibling adapter",
		May:      concat(PureLeaves, []string{Passphrase}),
		Libs:     []string{Age},
	},
	{
		Name:     "dnstest",
		Packages: []string{DNSTest},
		Rule:     "internal/resolver/dnstest runs DNS servers for tests (plain, DoH, DoT on loopback): the standard library and miekg/dns, and only _test.go files import it",
		Libs:     []string{MiekgDNS},
	},
	{
		Name:     "engine",
		Packages: []string{Blocklist},
		Rule:     "blocklist is the pure engine (parse, compile, match; no I/O): it imports the standard library and x/net (publicsuffix, idna) only, and never internal/settings: settings use the engine's vocabulary, not the reverse",
		Libs:     []string{XNet},
		NoStd:    engineNoIO,
	},
	{
		Name:     "settings",
		Packages: []string{Settings},
		Rule:     "internal/settings is pure (the Settings type, defaults, validation): it imports the standard library, x/net and the engine's vocabulary (blocklist: categories, site patterns), no I/O",
		May:      []string{Blocklist},
		Libs:     []string{XNet},
		NoStd:    noIO,
	},
	{
		Name:     "passphrase",
		Packages: []string{Passphrase},
		Rule:     "internal/passphrase is pure (a passphrase's estimated strength, the errors about one; for ui, cli, app and seal): the standard library only, no I/O",
		NoStd:    noIO,
	},
	{
		Name:     "status",
		Packages: []string{Status},
		Rule:     "internal/status holds plain value types shared by app, ui and cli: the standard library only, no I/O",
		NoStd:    noIO,
	},
	{
		Name:     "assets",
		Packages: []string{Assets},
		Rule:     "assets holds embedded files only: it imports embed and nothing else of consequence",
		NoStd:    noIO,
	},
	{
		Name:     "atomicfile",
		Packages: FileLeaves,
		Rule:     "internal/atomicfile writes files whole (one home for the temporary file, sync and rename): the standard library only",
	},
	{
		Name:     "e2e",
		Packages: []string{E2E},
		Rule:     "e2e holds the end-to-end tests and their harness: the built binary, real browsers, the private Tor network; it drives Polaris from outside, so its tests import the pure leaves and the test helpers, never the engine's parts",
		Tests:    []string{Settings, Status, XSys, XNet, Chromedp, Gorilla, CoderWS},
	},
	{
		Name:     "bench",
		Packages: []string{Bench},
		Rule:     "bench/ tools run the engine as the command line does (internal/cli), stand in for a peer proxy (a bare goproxy) or measure the toolkit's floor (a bare Fyne window); they are not part of the product",
		May:      []string{CLI},
		Libs:     []string{Goproxy, Fyne},
	},
	{
		Name:     "testenv",
		Packages: []string{Testenv},
		Rule:     "internal/testenv is the tests' helpers (the private Tor network, private desktop sessions): the standard library and the pure leaves, and only _test.go files import it",
		May:      PureLeaves,
	},
	{
		Name:     "layers",
		Packages: []string{Self},
		Rule:     "internal/layers is this table: the standard library only",
	},
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func with(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Markdown renders the table for docs/ARCHITECTURE.md (its test keeps the
// two equal).
func Markdown() string {
	var b strings.Builder
	b.WriteString("| layer | packages | may import (Polaris) | libraries | never from the standard library |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, l := range Table {
		var std []string
		for k := range l.NoStd {
			std = append(std, k)
		}
		slices.Sort(std)
		never := strings.Join(std, ", ")
		if never == "" {
			never = "-"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", l.Name, short(l.Packages), short(l.May), short(l.Libs), never)
	}
	return b.String()
}

// short lists packages without the module's name, "-" for none.
func short(paths []string) string {
	if len(paths) == 0 {
		return "-"
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		if p == Main {
			out[i] = "main"
			continue
		}
		out[i] = "`" + strings.TrimPrefix(p, Main+"/") + "`"
	}
	return strings.Join(out, ", ")
}
