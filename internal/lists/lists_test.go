// SPDX-License-Identifier: GPL-3.0-or-later

package lists

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"polaris/assets"
	"polaris/blocklist"
	"polaris/internal/settings"
	"polaris/internal/status"
	"polaris/internal/store"
	"polaris/internal/testenv"
)

func TestEmbeddedCatalogue(t *testing.T) {
	cat, err := catalogue()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]bool{}
	var defaults []string
	for _, e := range cat {
		byID[e.ID] = true
		if e.Default {
			defaults = append(defaults, e.ID)
		}
		if (e.ID == "disconnect" || e.ID == "disconnect-entities" || e.ID == "ddg-tds") != e.NonCommercial {
			t.Errorf("%s: NonCommercial = %v", e.ID, e.NonCommercial)
		}
	}
	for _, id := range []string{"polaris", "easyprivacy", "easylist", "peter-lowe", "adaway", "disconnect", "ddg-tds"} {
		if !byID[id] {
			t.Errorf("catalogue lacks %s", id)
		}
	}
	// The catalogue's defaults are what a fresh database subscribes to.
	if diff := cmp.Diff([]string{"polaris", "easyprivacy", "easylist", "peter-lowe"}, defaults); diff != "" {
		t.Errorf("default lists (-want +got):\n%s", diff)
	}
}

func TestParseCatalogueRefuses(t *testing.T) {
	const one = `{"id":"x","name":"X","url":"https://example.com/x.txt","format":"abp","category":"","license":"","interval":"4d"}`
	entry := func(fields string) string {
		return `{"version":1,"lists":[` + strings.TrimSuffix(one, "}") + fields + `}]}`
	}
	tests := []struct {
		name, json, want string
	}{
		{"good", entry(""), ""},
		{"bad version", `{"version":2,"lists":[]}`, "version"},
		{"unknown field", entry(`,"colour":"red"`), "unknown field"},
		{"bad id", strings.Replace(entry(""), `"id":"x"`, `"id":"X Y"`, 1), "id"},
		{"duplicate", `{"version":1,"lists":[` + one + `,` + one + `]}`, "duplicate"},
		{"no name", strings.Replace(entry(""), `"name":"X"`, `"name":" "`, 1), "no name"},
		{"ftp", strings.Replace(entry(""), "https://", "ftp://", 1), "http(s)"},
		{"format", strings.Replace(entry(""), `"abp"`, `"pdf"`, 1), "format"},
		{"category", strings.Replace(entry(""), `"category":""`, `"category":"weather"`, 1), "category"},
		{"interval", strings.Replace(entry(""), `"4d"`, `"3d"`, 1), "interval"},
		{"not json", "{", "catalogue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseCatalogue([]byte(tt.json))
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("parseCatalogue(%s) = %v, want an error about %q", tt.json, err, tt.want)
			}
		})
	}
}

func TestBuiltinList(t *testing.T) {
	lists, stats, err := parseBuiltin("polaris", blocklist.ListMeta{Name: "Polaris tracker list"})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Bad != 0 || stats.Rules < 80 {
		t.Errorf("built-in list: %+v, want 80+ rules and no bad line", stats)
	}
	m, err := blocklist.Compile(lists, blocklist.Options{OwnerParties: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url, site string
		want      blocklist.Action
		category  string
	}{
		{"https://www.google-analytics.com/g/collect", "https://news.example/", blocklist.Block, "analytics"},
		{"https://securepubads.g.doubleclick.net/tag/js/gpt.js", "https://news.example/", blocklist.Block, "advertising"},
		{"https://connect.facebook.net/en_US/fbevents.js", "https://shop.example/", blocklist.Block, "social"},
		{"https://coinhive.com/lib/coinhive.min.js", "https://www.coinhive.com/", blocklist.Block, "cryptomining"},
		{"https://c.disquscdn.com/embed.js", "https://blog.example/", blocklist.Block, "content"},
		// A company's own properties are first party.
		{"https://connect.facebook.net/sdk.js", "https://www.facebook.com/", blocklist.Allow, ""},
		{"https://www.googletagmanager.com/gtm.js", "https://www.youtube.com/", blocklist.Allow, ""},
		{"https://example.org/app.js", "https://news.example/", blocklist.Allow, ""},
	}
	for _, tt := range tests {
		v := m.Match(blocklist.NewRequest(tt.url, tt.site, blocklist.TypeScript))
		if v.Action != tt.want || tt.want == blocklist.Block && v.Category != tt.category {
			t.Errorf("Match(%s from %s) = %+v, want %v in %q", tt.url, tt.site, v, tt.want, tt.category)
		}
	}
	// With no source at all (an HTTPS tunnel), third-party rules apply.
	if v := m.MatchHost("www.google-analytics.com"); v.Action != blocklist.Block {
		t.Errorf("MatchHost(google-analytics) = %+v, want Block", v)
	}
	// Every section header names a known category.
	text, _ := assets.Lists.ReadFile("lists/polaris.txt")
	for _, s := range categorySections(string(text)) {
		if s.category == "other" {
			t.Errorf("a section of the built-in list has an unknown category")
		}
	}
}

func TestCategorySectionsKeepLineNumbers(t *testing.T) {
	secs := categorySections("! head\n! Category: advertising\n||a^\n! Category: Social\n||b^\n! Category: nonsense\n||c^")
	want := []section{
		{"", "! head"},
		{"advertising", "\n! Category: advertising\n||a^"},
		{"social", "\n\n\n! Category: Social\n||b^"},
		{"other", "\n\n\n\n\n! Category: nonsense\n||c^"},
	}
	if diff := cmp.Diff(want, secs, cmp.AllowUnexported(section{})); diff != "" {
		t.Errorf("categorySections (-want +got):\n%s", diff)
	}
}

func TestListHeader(t *testing.T) {
	tests := []struct {
		text    string
		title   string
		expires time.Duration
	}{
		{"[Adblock Plus 2.0]\n! Version: 1\n! Title: EasyPrivacy\n! Expires: 4 days (update frequency)\n||a^", "EasyPrivacy", 96 * time.Hour},
		{"! Expires: 12 hours\n", "", 12 * time.Hour},
		{"! expires:1 day\n", "", 24 * time.Hour},
		{"! Expires: 5\n", "", 5 * 24 * time.Hour}, // a bare number means days
		{"! Expires: 0 days\n", "", time.Hour},     // clamped
		{"! Expires: 999999 days\n", "", 30 * 24 * time.Hour},
		{"# Title: StevenBlack hosts\n# Expires: 2 hours\n0.0.0.0 a.example", "StevenBlack hosts", 2 * time.Hour},
		{"||a^\n! Title: too late\n", "", 0}, // only the header counts
		{"! Expires: soon\n", "", 0},
		{"", "", 0},
	}
	for _, tt := range tests {
		h := listHeader([]byte(tt.text))
		if h.title != tt.title || h.expires != tt.expires {
			t.Errorf("listHeader(%q) = %q, %v; want %q, %v", tt.text, h.title, h.expires, tt.title, tt.expires)
		}
	}
}

func TestNextUpdate(t *testing.T) {
	t0 := time.Unix(1763700000, 0)
	day := 24 * time.Hour
	base := store.ListRow{URL: "https://example.com/l.txt", Enabled: true, Interval: 4 * day, SHA256: "s", LastSuccess: t0, LastTry: t0, Added: t0.Add(-day)}
	with := func(f func(*store.ListRow)) store.ListRow { r := base; f(&r); return r }
	tests := []struct {
		name string
		row  store.ListRow
		want time.Time
	}{
		{"interval", base, t0.Add(4 * day)},
		{"expires sooner", with(func(r *store.ListRow) { r.Expires = day }), t0.Add(day)},
		{"expires later", with(func(r *store.ListRow) { r.Expires = 7 * day }), t0.Add(4 * day)},
		{"off", with(func(r *store.ListRow) { r.Interval = 0 }), time.Time{}},
		{"disabled", with(func(r *store.ListRow) { r.Enabled = false }), time.Time{}},
		{"local copy", with(func(r *store.ListRow) { r.URL = "" }), time.Time{}},
		{"never downloaded", with(func(r *store.ListRow) { r.SHA256 = "" }), t0.Add(-day)},
		{"asked", with(func(r *store.ListRow) { r.UpdateAsked = t0.Add(time.Minute); r.Interval = 0 }), t0.Add(time.Minute)},
		{"one failure", with(func(r *store.ListRow) { r.Failures = 1 }), t0.Add(5 * time.Minute)},
		{"three failures", with(func(r *store.ListRow) { r.Failures = 3 }), t0.Add(45 * time.Minute)},
		{"many failures", with(func(r *store.ListRow) { r.Failures = 30 }), t0.Add(6 * time.Hour)},
		{"failures, short interval", with(func(r *store.ListRow) { r.Failures = 30; r.Interval = 12 * time.Hour; r.Expires = time.Hour }), t0.Add(time.Hour)},
		{"failed first download", with(func(r *store.ListRow) { r.SHA256 = ""; r.Failures = 2 }), t0.Add(15 * time.Minute)},
	}
	for _, tt := range tests {
		if got := nextUpdate(tt.row); !got.Equal(tt.want) {
			t.Errorf("%s: nextUpdate = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestLooksLikeHTMLAndText(t *testing.T) {
	for _, tt := range []struct {
		data string
		ok   bool
	}{
		{"||a.example^\n", true},
		{"\ufeff  <!DOCTYPE HTML>", false},
		{"<html lang=en>", false},
		{"<?xml version=1.0?>", false},
		{"0.0.0.0 a.example\n", true},
		{"||a.example^\n\x00\x01", false},
		{"! Caf\xc3\xa9\n||a.example^\n", true},
		{"! Caf\xff\n||a.example^\n", false},
	} {
		_, err := checkList([]byte(tt.data), "", blocklist.ListMeta{Name: "t"})
		if (err == nil) != tt.ok {
			t.Errorf("checkList(%q) = %v, want ok %v", tt.data, err, tt.ok)
		}
	}
}

// FuzzListHeader checks that the header reader never panics and keeps
// its bounds on any input.
func FuzzListHeader(f *testing.F) {
	f.Add([]byte("[Adblock Plus 2.0]\n! Title: EasyList\n! Expires: 4 days (update frequency)\n"))
	f.Add([]byte("# Expires: 12 hours\n# Title: x\n"))
	f.Add([]byte("! Expires: 99999999999999999999 days\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := listHeader(data)
		if h.expires != 0 && (h.expires < minExpires || h.expires > maxExpires) {
			t.Fatalf("expires %v out of bounds", h.expires)
		}
		if len(h.title) > 200*4 {
			t.Fatalf("title of %d bytes", len(h.title))
		}
	})
}

// FuzzCatalogue checks that the catalogue parser refuses or accepts any
// input without panicking, and that what it accepts is usable.
func FuzzCatalogue(f *testing.F) {
	data, _ := assets.Lists.ReadFile("lists/catalogue.json")
	f.Add(data)
	f.Add([]byte(`{"version":1,"lists":[]}`))
	f.Add([]byte(`{"version":1,"lists":[{"id":"a","name":"A","url":"http://x/","format":"auto","interval":"off"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cat, err := parseCatalogue(data)
		if err != nil {
			return
		}
		for _, e := range cat {
			if _, err := blocklist.ParseFormat(e.Format); err != nil {
				t.Fatalf("accepted format %q", e.Format)
			}
			if !strings.HasPrefix(e.URL, builtinPrefix) && checkListURL(e.URL) != nil {
				t.Fatalf("accepted URL %q", e.URL)
			}
		}
	})
}

// TestOnionListWithoutTorIsNeverLookedUp: a list at an .onion address,
// updated while Polaris does not run (so with no Tor), is refused before
// any name lookup or connection.
func TestOnionListWithoutTorIsNeverLookedUp(t *testing.T) {
	dialled := false
	dial := refuseOnion(func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialled = true
		return nil, errors.New("dialled")
	})
	for _, addr := range []string{"expyuzz4wqqyqhjn.onion:80", "EXAMPLE.ONION.:443", "sub.abcdef.onion:443"} {
		if _, err := dial(context.Background(), "tcp", addr); !errors.Is(err, errOnionNeedsTor) {
			t.Errorf("%s: %v, want the .onion refusal", addr, err)
		}
	}
	if dialled {
		t.Error("an .onion address reached the dialer (and so the resolver)")
	}
	if _, err := dial(context.Background(), "tcp", "127.0.0.1:9"); err == nil || errors.Is(err, errOnionNeedsTor) || !dialled {
		t.Errorf("an ordinary address: %v (dialled %v)", err, dialled)
	}
	// Through the real download path of an engine whose Polaris does not run.
	e := testEngine(t)
	if err := e.AddList(context.Background(), "http://expyuzz4wqqyqhjn.onion/list.txt", ""); err == nil || !strings.Contains(err.Error(), "only be reached through Tor") {
		t.Errorf("adding an .onion list without Tor: %v", err)
	}
}

// testEngine is an engine on a fresh database, in a process that runs no
// proxy and with no Polaris running: it downloads directly.
func testEngine(t *testing.T) *Engine {
	t.Helper()
	dir := t.TempDir()
	st, _, err := store.Open(context.Background(), filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(Config{
		Dir:              filepath.Join(dir, "lists"),
		Store:            func() (*store.Store, error) { return st, nil },
		Settings:         settings.Default,
		Transport:        func() (http.RoundTripper, error) { return nil, nil },
		Serving:          func() bool { return false },
		RunningElsewhere: func() bool { return false },
		Publish:          func(settings.Settings) {},
		Notice:           func(sev status.Severity, format string, args ...any) { t.Logf(format, args...) },
		Changed:          func() {},
		Logf:             testenv.Logf(t),
		Timeout:          10 * time.Second,
	})
}
