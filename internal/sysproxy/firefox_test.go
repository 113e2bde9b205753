// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testPAC = "http://127.0.0.1:8228/proxy.pac"

// firefoxHome lays out Firefox profiles the way the classic, snap and
// flatpak packages do and returns their directories by name.
func firefoxHome(t *testing.T, home string) map[string]string {
	t.Helper()
	classic := filepath.Join(home, ".mozilla", "firefox")
	snap := filepath.Join(home, "snap", "firefox", "common", ".mozilla", "firefox")
	flatpak := filepath.Join(home, ".var", "app", "org.mozilla.firefox", ".mozilla", "firefox")
	abs := filepath.Join(home, "elsewhere", "work-profile")
	writeFile(t, filepath.Join(classic, "profiles.ini"), "[Install4F96D1932A9F858E]\nDefault=abcd.default-release\nLocked=1\n\n"+
		"[Profile1]\nName=default\nIsRelative=1\nPath=efgh.default\nDefault=1\n\n"+
		"[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd.default-release\n\n"+
		"[Profile2]\nName=gone\nIsRelative=1\nPath=missing.dir\n\n"+
		"[General]\nStartWithLastProfile=1\nVersion=2\n")
	writeFile(t, filepath.Join(snap, "profiles.ini"), "[Profile0]\r\nName=snap-default\r\nIsRelative=1\r\nPath=snap1.default\r\n")
	writeFile(t, filepath.Join(flatpak, "profiles.ini"), fmt.Sprintf("[Profile0]\nName=work\nIsRelative=0\nPath=%s\n\n[Profile1]\nName=pac\nPath=pac.default\n", abs))
	dirs := map[string]string{
		"default-release": filepath.Join(classic, "abcd.default-release"),
		"default":         filepath.Join(classic, "efgh.default"),
		"snap-default":    filepath.Join(snap, "snap1.default"),
		"work":            abs,
		"pac":             filepath.Join(flatpak, "pac.default"),
	}
	prefs := map[string]string{
		"default-release": "// Mozilla User Preferences\n\nuser_pref(\"browser.startup.homepage_override.mstone\", \"130.0\");\nuser_pref(\"network.proxy.type\", 0);\n",
		"default":         "user_pref(\"browser.tabs.warnOnClose\", false);\n",
		"snap-default":    "user_pref(\"network.proxy.http\", \"proxy.corp.example\");\nuser_pref(\"network.proxy.http_port\", 3128);\nuser_pref(\"network.proxy.type\", 1);\n",
		"work":            "user_pref(\"network.proxy.http\", \"127.0.0.1\");\nuser_pref(\"network.proxy.http_port\", 8228);\nuser_pref(\"network.proxy.share_proxy_settings\", true);\nuser_pref(\"network.proxy.type\", 1);\n",
		"pac":             "user_pref(\"network.proxy.autoconfig_url\", \"" + testPAC + "\");\nuser_pref(\"network.proxy.type\", 2);\n",
	}
	for name, d := range dirs {
		writeFile(t, filepath.Join(d, "prefs.js"), prefs[name])
	}
	// The snap profile has a user.js of its own, without a final newline.
	writeFile(t, filepath.Join(dirs["snap-default"], "user.js"), `user_pref("browser.startup.page", 3);`)
	return dirs
}

func TestFirefoxWarnings(t *testing.T) {
	env, home := userEnv(t)
	firefoxHome(t, home)
	m := newTestManager(t, Config{Journal: &memJournal{}, Env: env, PACURL: testPAC}, platform{goos: "linux"})
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`Firefox profile "default-release" uses its own proxy settings (no proxy), so it does not go through Polaris. Choose "Use system proxy settings" in its Network Settings, or turn on system.firefox.`,
		`Firefox profile "snap-default" uses its own proxy settings (a manually set proxy), so it does not go through Polaris. Choose "Use system proxy settings" in its Network Settings, or turn on system.firefox.`,
	}
	if d := cmp.Diff(want, st.Warnings); d != "" {
		t.Errorf("Status().Warnings (-want +got):\n%s", d)
	}
}

// TestFirefoxXDGProfile: Firefox ESR 153 makes new profiles under
// $XDG_CONFIG_HOME/mozilla/firefox; they are Firefox profiles like the
// others (found through internal/browsers, as the CA installer finds them).
func TestFirefoxXDGProfile(t *testing.T) {
	env, home := userEnv(t)
	root := filepath.Join(home, ".config", "mozilla", "firefox")
	writeFile(t, filepath.Join(root, "profiles.ini"), "[Profile0]\nName=xdg\nIsRelative=1\nPath=x1.xdg\n")
	writeFile(t, filepath.Join(root, "x1.xdg", "prefs.js"), "user_pref(\"network.proxy.type\", 0);\n")
	m := newTestManager(t, Config{Journal: &memJournal{}, Env: env, PACURL: testPAC}, platform{goos: "linux"})
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`Firefox profile "xdg" uses its own proxy settings (no proxy), so it does not go through Polaris. Choose "Use system proxy settings" in its Network Settings, or turn on system.firefox.`}
	if d := cmp.Diff(want, st.Warnings); d != "" {
		t.Errorf("Status().Warnings (-want +got):\n%s", d)
	}
}

func TestFirefoxUserJSRoundTrip(t *testing.T) {
	env, home := userEnv(t)
	dirs := firefoxHome(t, home)
	snapUser := filepath.Join(dirs["snap-default"], "user.js")
	origSnap := readFile(t, snapUser)
	releaseUser := filepath.Join(dirs["default-release"], "user.js")
	releasePrefs := filepath.Join(dirs["default-release"], "prefs.js")
	origReleasePrefs := readFile(t, releasePrefs)

	j := &memJournal{}
	m := newTestManager(t, Config{Journal: j, Env: env, PACURL: testPAC, FirefoxUserJS: true}, platform{goos: "linux"})
	ctx := context.Background()
	if err := m.Enable(ctx); err != nil {
		t.Fatalf("Enable: %v", err)
	}
	if got, want := readFile(t, snapUser), origSnap+"\n"+FirefoxBlock; got != want {
		t.Errorf("snap user.js after Enable = %q, want %q", got, want)
	}
	if got := readFile(t, releaseUser); got != FirefoxBlock {
		t.Errorf("default-release user.js after Enable = %q, want the block", got)
	}
	for _, name := range []string{"default", "work", "pac"} {
		if exists(filepath.Join(dirs[name], "user.js")) {
			t.Errorf("profile %s got a user.js, but it needs none", name)
		}
	}
	st, _ := m.Status(ctx)
	if !slices.Contains(st.Warnings, `Firefox profile "default-release" uses the system proxy after Firefox restarts.`) {
		t.Errorf("Status().Warnings = %q, want a restart note", st.Warnings)
	}
	// Enable again: the saved originals stay the originals.
	if err := m.Enable(ctx); err != nil {
		t.Fatal(err)
	}

	// Firefox restarts: it applies user.js and, the value being the
	// default, drops network.proxy.type from prefs.js. The snap profile is
	// open (its lock points at a live process).
	for _, name := range []string{"default-release", "snap-default"} {
		p := filepath.Join(dirs[name], "prefs.js")
		var kept []string
		for _, l := range strings.SplitAfter(readFile(t, p), "\n") {
			if !strings.Contains(l, "network.proxy.type") {
				kept = append(kept, l)
			}
		}
		writeFile(t, p, strings.Join(kept, ""))
	}
	if err := os.Symlink(fmt.Sprintf("127.0.0.1:+%d", os.Getpid()), filepath.Join(dirs["snap-default"], "lock")); err != nil {
		t.Fatal(err)
	}
	snapPrefs := readFile(t, filepath.Join(dirs["snap-default"], "prefs.js"))

	if err := m.Disable(ctx); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	if got := readFile(t, snapUser); got != origSnap {
		t.Errorf("snap user.js after Disable = %q, want %q byte for byte", got, origSnap)
	}
	if exists(releaseUser) {
		t.Errorf("default-release user.js still exists after Disable")
	}
	if got := readFile(t, releasePrefs); parsePrefs([]byte(got))["network.proxy.type"] != "0" ||
		!strings.HasPrefix(got, strings.Replace(origReleasePrefs, "user_pref(\"network.proxy.type\", 0);\n", "", 1)) {
		t.Errorf("default-release prefs.js after Disable = %q, want its network.proxy.type 0 back", got)
	}
	if got := readFile(t, filepath.Join(dirs["snap-default"], "prefs.js")); got != snapPrefs {
		t.Errorf("prefs.js of an open profile was changed: %q", got)
	}
	st, _ = m.Status(ctx)
	if !slices.ContainsFunc(st.Warnings, func(w string) bool {
		return strings.HasPrefix(w, `Firefox profile "snap-default" is open, so Polaris could not put back its own proxy setting (a manually set proxy)`)
	}) {
		t.Errorf("Status().Warnings = %q, want a note about the open snap profile", st.Warnings)
	}
}

func TestFirefoxUserEditedUserJS(t *testing.T) {
	env, home := userEnv(t)
	dirs := firefoxHome(t, home)
	snapUser := filepath.Join(dirs["snap-default"], "user.js")
	orig := readFile(t, snapUser)
	releaseUser := filepath.Join(dirs["default-release"], "user.js")
	m := newTestManager(t, Config{Journal: &memJournal{}, Env: env, FirefoxUserJS: true}, platform{goos: "linux"})
	ctx := context.Background()
	if err := m.Enable(ctx); err != nil {
		t.Fatal(err)
	}
	// The user adds a pref to one file and rewrites the other entirely.
	edited := readFile(t, snapUser) + "user_pref(\"privacy.resistFingerprinting\", true);\n"
	writeFile(t, snapUser, edited)
	writeFile(t, releaseUser, "user_pref(\"network.proxy.type\", 4);\n")
	if err := m.Disable(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, snapUser), orig+"\nuser_pref(\"privacy.resistFingerprinting\", true);\n"; got != want {
		t.Errorf("edited user.js after Disable = %q, want only the block removed: %q", got, want)
	}
	if got := readFile(t, releaseUser); got != "user_pref(\"network.proxy.type\", 4);\n" {
		t.Errorf("rewritten user.js after Disable = %q, want it left alone", got)
	}
}

func TestParsePrefs(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want map[string]string
	}{
		{"firefox format", "// Mozilla User Preferences\n\nuser_pref(\"network.proxy.type\", 1);\nuser_pref(\"network.proxy.http\", \"10.0.0.1\");\n",
			map[string]string{"network.proxy.type": "1", "network.proxy.http": "10.0.0.1"}},
		{"comments and spacing", "/* block\n user_pref(\"a\", 1); */ # hash\nuser_pref ( 'b' , true ) ; user_pref(\"c\",-2);// tail",
			map[string]string{"b": "true", "c": "-2"}},
		{"escapes", `user_pref("s", "a\"b\\c\x41\u00e9");`, map[string]string{"s": "a\"b\\cAé"}},
		{"last wins", "user_pref(\"t\", 1);\nuser_pref(\"t\", 5);", map[string]string{"t": "5"}},
		{"pref and sticky_pref with attributes", `pref("p", 1, locked); sticky_pref("q", false);`, map[string]string{"p": "1", "q": "false"}},
		{"bad statements skipped", "user_pref(\"x\");\nuser_pref(\"y\", 2);\nuser_pref(3, 4);\ngarbage here;\nuser_pref(\"z\", 3);\nuser_pref(\"u\", \"unterminated);\n",
			map[string]string{"y": "2", "z": "3"}},
		{"stray semicolons", ";;user_pref(\"a\", 1);;", map[string]string{"a": "1"}},
		{"empty", "", map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, parsePrefs([]byte(tc.src))); d != "" {
				t.Errorf("parsePrefs(%q) (-want +got):\n%s", tc.src, d)
			}
		})
	}
}

func FuzzParsePrefs(f *testing.F) {
	for _, s := range []string{
		"user_pref(\"network.proxy.type\", 1);",
		"/* x */ user_pref('a', \"\\u00e9\\x41\");",
		"pref(\"p\", 1, locked, sticky);",
		"user_pref(\"u\", \"\\u12",
		"#",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		parsePrefs(src)
	})
}

func BenchmarkParsePrefs(b *testing.B) {
	var sb strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&sb, "user_pref(\"some.pref.name.%d\", \"value %d\");\n", i, i)
	}
	src := []byte(sb.String())
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		parsePrefs(src)
	}
}
