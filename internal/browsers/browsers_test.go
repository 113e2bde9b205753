// SPDX-License-Identifier: GPL-3.0-or-later

package browsers

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"polaris/internal/status"
)

// layout writes files (path -> content; "" makes an empty file, a path
// ending in "/" a folder, "-> target" a symbolic link) under dir.
func layout(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if strings.HasSuffix(rel, "/") {
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "-> "); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// row is a Browser in a comparable, home-relative form.
type row struct {
	Name      string
	Family    status.Family
	Installed bool
	Dir       string
	NSS       string
	System    bool
	Running   bool
	Profiles  []prow
}

type prow struct {
	Name, Dir, Prefs, NSS string
	Running               bool
}

func rows(home string, list []Browser) []row {
	rel := func(p string) string {
		if p == "" {
			return ""
		}
		r, err := filepath.Rel(home, p)
		if err != nil || strings.HasPrefix(r, "..") {
			return p
		}
		return "~/" + filepath.ToSlash(r)
	}
	db := func(d NSSDB) string {
		if d.Zero() {
			return ""
		}
		return rel(d.Dir) + " " + [...]string{"none", "ready", "cert8"}[d.State]
	}
	var out []row
	for _, b := range list {
		r := row{Name: b.Name, Family: b.Family, Installed: b.Installed, Dir: rel(b.Dir), NSS: db(b.NSS),
			System: b.SystemStore, Running: b.Running}
		for _, p := range b.Profiles {
			r.Profiles = append(r.Profiles, prow{p.Name, rel(p.Dir), rel(p.Prefs), db(p.NSS), p.Running})
		}
		out = append(out, r)
	}
	return out
}

// ini is a profiles.ini as Firefox writes it, with one profile.
func ini(name, path string) string {
	return "[Profile0]\nName=" + name + "\nIsRelative=1\nPath=" + path + "\nDefault=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n"
}

func TestListLinux(t *testing.T) {
	home, root := t.TempDir(), t.TempDir()
	self := strconv.Itoa(os.Getpid())
	layout(t, root, map[string]string{
		"usr/bin/firefox-esr":      "ELF",
		"usr/bin/chromium":         "ELF",
		"usr/bin/chromium-browser": "#!/bin/sh\nexec /snap/bin/chromium \"$@\"\n", // Ubuntu's wrapper: the snap
		"snap/bin/chromium":        "",
		"proc/" + self + "/":       "",
	})
	layout(t, home, map[string]string{
		// Firefox ESR 153 creates new profiles under XDG_CONFIG_HOME.
		".config/mozilla/firefox/profiles.ini":                ini("xdgtest", "rs6s5u9i.xdgtest"),
		".config/mozilla/firefox/rs6s5u9i.xdgtest/times.json": "{}",
		// The legacy folder: one listed (open: its lock names a live
		// process), one only found by its old database.
		".mozilla/firefox/profiles.ini":                                             ini("default-release", "a1.default-release"),
		".mozilla/firefox/a1.default-release/cert9.db":                              "",
		".mozilla/firefox/a1.default-release/lock":                                  "-> 127.0.0.1:+" + self,
		".mozilla/firefox/b2.old/cert8.db":                                          "",
		"snap/firefox/common/.mozilla/firefox/profiles.ini":                         ini("default", "s3.default"),
		"snap/firefox/common/.mozilla/firefox/s3.default/cert9.db":                  "",
		"snap/firefox/common/.mozilla/firefox/s3.default/lock":                      "-> 127.0.0.1:+999999999",
		".var/app/org.mozilla.firefox/.mozilla/firefox/f4.default-release/cert9.db": "",
		".librewolf/l5.default-default/cert9.db":                                    "",
		// Chromium with two profiles (named in Local State), open.
		".config/chromium/Local State":                                       `{"profile":{"info_cache":{"Default":{"name":"Person 1"},"Profile 2":{"name":"Work"}}}}`,
		".config/chromium/Default/Preferences":                               "{}",
		".config/chromium/Profile 2/Preferences":                             "{}",
		".config/chromium/Profile 10/Preferences":                            "{}",
		".config/chromium/Crashpad/":                                         "",
		".config/chromium/SingletonLock":                                     "-> host-" + self,
		".config/google-chrome/Default/Preferences":                          "{}",
		".config/BraveSoftware/Brave-Browser/Default/Preferences":            "{}",
		".config/microsoft-edge/Default/Preferences":                         "{}",
		".pki/nssdb/cert9.db":                                                "",
		".var/app/org.chromium.Chromium/config/chromium/Default/Preferences": "{}",
		".var/app/org.chromium.Chromium/.pki/nssdb/cert9.db":                 "",
	})
	got := rows(home, List(Env{GOOS: "linux", Home: home, Root: root, Getenv: func(string) string { return "" }}))
	pki := "~/.pki/nssdb ready"
	want := []row{
		{Name: "Firefox", Family: status.Firefox, Installed: true, Dir: "~/.config/mozilla/firefox", Running: true, Profiles: []prow{
			{"xdgtest", "~/.config/mozilla/firefox/rs6s5u9i.xdgtest", "~/.config/mozilla/firefox/rs6s5u9i.xdgtest/user.js",
				"~/.config/mozilla/firefox/rs6s5u9i.xdgtest none", false},
			{"default-release", "~/.mozilla/firefox/a1.default-release", "~/.mozilla/firefox/a1.default-release/user.js",
				"~/.mozilla/firefox/a1.default-release ready", true},
			{"old", "~/.mozilla/firefox/b2.old", "~/.mozilla/firefox/b2.old/user.js", "~/.mozilla/firefox/b2.old cert8", false},
		}},
		{Name: "Firefox (snap)", Family: status.Firefox, Dir: "~/snap/firefox/common/.mozilla/firefox", Profiles: []prow{
			{"default", "~/snap/firefox/common/.mozilla/firefox/s3.default", "~/snap/firefox/common/.mozilla/firefox/s3.default/user.js",
				"~/snap/firefox/common/.mozilla/firefox/s3.default ready", false},
		}},
		{Name: "Firefox (Flatpak)", Family: status.Firefox, Dir: "~/.var/app/org.mozilla.firefox/.mozilla/firefox", Profiles: []prow{
			{"default-release", "~/.var/app/org.mozilla.firefox/.mozilla/firefox/f4.default-release",
				"~/.var/app/org.mozilla.firefox/.mozilla/firefox/f4.default-release/user.js",
				"~/.var/app/org.mozilla.firefox/.mozilla/firefox/f4.default-release ready", false},
		}},
		{Name: "LibreWolf", Family: status.Firefox, Dir: "~/.librewolf", Profiles: []prow{
			{"default-default", "~/.librewolf/l5.default-default", "~/.librewolf/l5.default-default/user.js",
				"~/.librewolf/l5.default-default ready", false},
		}},
		{Name: "Chromium", Family: status.Chrome, Installed: true, Dir: "~/.config/chromium", NSS: pki, Running: true, Profiles: []prow{
			{"Person 1", "~/.config/chromium/Default", "~/.config/chromium/Default/Preferences", pki, true},
			{"Work", "~/.config/chromium/Profile 2", "~/.config/chromium/Profile 2/Preferences", pki, true},
			{"Profile 10", "~/.config/chromium/Profile 10", "~/.config/chromium/Profile 10/Preferences", pki, true},
		}},
		{Name: "Chromium (snap)", Family: status.Chrome, Installed: true, Dir: "~/snap/chromium/common/chromium",
			NSS: "~/snap/chromium/current/.pki/nssdb none"},
		{Name: "Chromium (Flatpak)", Family: status.Chrome, Dir: "~/.var/app/org.chromium.Chromium/config/chromium",
			NSS: "~/.var/app/org.chromium.Chromium/.pki/nssdb ready", Profiles: []prow{
				{"Default", "~/.var/app/org.chromium.Chromium/config/chromium/Default",
					"~/.var/app/org.chromium.Chromium/config/chromium/Default/Preferences",
					"~/.var/app/org.chromium.Chromium/.pki/nssdb ready", false},
			}},
		{Name: "Google Chrome", Family: status.Chrome, Dir: "~/.config/google-chrome", NSS: pki, Profiles: []prow{
			{"Default", "~/.config/google-chrome/Default", "~/.config/google-chrome/Default/Preferences", pki, false}}},
		{Name: "Brave", Family: status.Chrome, Dir: "~/.config/BraveSoftware/Brave-Browser", NSS: pki, Profiles: []prow{
			{"Default", "~/.config/BraveSoftware/Brave-Browser/Default", "~/.config/BraveSoftware/Brave-Browser/Default/Preferences", pki, false}}},
		{Name: "Microsoft Edge", Family: status.Edge, Dir: "~/.config/microsoft-edge", NSS: pki, Profiles: []prow{
			{"Default", "~/.config/microsoft-edge/Default", "~/.config/microsoft-edge/Default/Preferences", pki, false}}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("List(linux) (-want +got):\n%s", d)
	}
}

// TestListXDGConfigHome: a set XDG_CONFIG_HOME moves the XDG profiles and
// Chromium's user data with it.
func TestListXDGConfigHome(t *testing.T) {
	home, cfg := t.TempDir(), t.TempDir()
	layout(t, cfg, map[string]string{
		"mozilla/firefox/profiles.ini": ini("x", "x.x"),
		"mozilla/firefox/x.x/cert9.db": "",
		"chromium/Default/Preferences": "{}",
	})
	env := Env{GOOS: "linux", Home: home, Root: t.TempDir(), Getenv: func(k string) string {
		if k == "XDG_CONFIG_HOME" {
			return cfg
		}
		return ""
	}}
	var names []string
	for _, b := range List(env) {
		for _, p := range b.Profiles {
			names = append(names, b.Name+": "+p.Dir)
		}
	}
	want := []string{"Firefox: " + filepath.Join(cfg, "mozilla/firefox/x.x"), "Chromium: " + filepath.Join(cfg, "chromium/Default")}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("profiles (-want +got):\n%s", d)
	}
}

func TestListDarwin(t *testing.T) {
	home, root := t.TempDir(), t.TempDir()
	layout(t, root, map[string]string{"Applications/Firefox.app/Contents/": "", "Applications/Google Chrome.app/": ""})
	layout(t, home, map[string]string{
		"Library/Application Support/Firefox/profiles.ini":                            "[Profile0]\nName=Mac default\nIsRelative=1\nPath=Profiles/m6.default-release\n",
		"Library/Application Support/Firefox/Profiles/m6.default-release/cert9.db":    "",
		"Library/Application Support/Firefox/Profiles/m6.default-release/.parentlock": "",
		"Library/Application Support/Google/Chrome/Default/Preferences":               "{}",
	})
	got := rows(home, List(Env{GOOS: "darwin", Home: home, Root: root, Getenv: func(string) string { return "" }}))
	sup := "~/Library/Application Support/"
	want := []row{
		{Name: "Firefox", Family: status.Firefox, Installed: true, Dir: sup + "Firefox", System: true, Running: true, Profiles: []prow{
			{"Mac default", sup + "Firefox/Profiles/m6.default-release", sup + "Firefox/Profiles/m6.default-release/user.js",
				sup + "Firefox/Profiles/m6.default-release ready", true}}},
		{Name: "Google Chrome", Family: status.Chrome, Installed: true, Dir: sup + "Google/Chrome", System: true, Profiles: []prow{
			{"Default", sup + "Google/Chrome/Default", sup + "Google/Chrome/Default/Preferences", "", false}}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("List(darwin) (-want +got):\n%s", d)
	}
}

func TestListWindows(t *testing.T) {
	home, appdata, local, progs := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	layout(t, appdata, map[string]string{
		"Mozilla/Firefox/profiles.ini":                         "[Profile0]\nName=default-release\nIsRelative=1\nPath=Profiles/w1.default-release\n",
		"Mozilla/Firefox/Profiles/w1.default-release/cert9.db": "",
	})
	layout(t, local, map[string]string{"Microsoft/Edge/User Data/Default/Preferences": "{}", "Microsoft/Edge/User Data/lockfile": ""})
	layout(t, progs, map[string]string{"Mozilla Firefox/firefox.exe": "MZ"})
	env := map[string]string{"APPDATA": appdata, "LOCALAPPDATA": local, "ProgramFiles": progs, "USERPROFILE": home}
	list := List(Env{GOOS: "windows", Root: t.TempDir(), Getenv: func(k string) string { return env[k] }})
	var got []string
	for _, b := range list {
		got = append(got, b.Name+" installed="+strconv.FormatBool(b.Installed)+" running="+strconv.FormatBool(b.Running)+
			" system="+strconv.FormatBool(b.SystemStore))
		for _, p := range b.Profiles {
			got = append(got, "  "+p.Name+" "+p.Dir)
		}
	}
	want := []string{
		"Firefox installed=true running=false system=true",
		"  default-release " + filepath.Join(appdata, "Mozilla/Firefox/Profiles/w1.default-release"),
		"Microsoft Edge installed=false running=true system=true",
		"  Default " + filepath.Join(local, "Microsoft/Edge/User Data/Default"),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("List(windows) (-want +got):\n%s", d)
	}
}

// TestListNothing: an empty home and no programs: no browser.
func TestListNothing(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows"} {
		if got := List(Env{GOOS: goos, Home: t.TempDir(), Root: t.TempDir(), Getenv: func(string) string { return "" }}); len(got) != 0 {
			t.Errorf("List(%s) on an empty home = %v, want none", goos, got)
		}
	}
}

func TestDatabases(t *testing.T) {
	home, root := t.TempDir(), t.TempDir()
	layout(t, root, map[string]string{"usr/bin/google-chrome": "ELF", "snap/bin/chromium": ""})
	layout(t, home, map[string]string{
		".config/mozilla/firefox/profiles.ini":         ini("fresh", "f.fresh"),
		".config/mozilla/firefox/f.fresh/":             "",
		".mozilla/firefox/a1.default-release/cert9.db": "",
		".mozilla/firefox/b2.old/cert8.db":             "",
		".config/chromium/Default/Preferences":         "{}",
		// Brave's snap was started once: its own HOME exists.
		"snap/brave/current/": "",
		"snap/brave/common/.config/BraveSoftware/Brave-Browser/": "",
	})
	type drow struct {
		Label, Dir string
		State      DBState
		Create     bool
		Browsers   string
	}
	var got []drow
	for _, d := range Databases(List(Env{GOOS: "linux", Home: home, Root: root, Getenv: func(string) string { return "" }})) {
		rel, _ := filepath.Rel(home, d.Dir)
		got = append(got, drow{d.Label, filepath.ToSlash(rel), d.State, d.Create, strings.Join(d.Browsers, ",")})
	}
	want := []drow{
		{"Firefox profile 'fresh'", ".config/mozilla/firefox/f.fresh", NoDB, true, "Firefox"},
		{"Firefox profile 'default-release'", ".mozilla/firefox/a1.default-release", DBReady, false, "Firefox"},
		{"Firefox profile 'old'", ".mozilla/firefox/b2.old", DBLegacy, false, "Firefox"},
		// Chromium and Chrome (installed, never started) share ~/.pki/nssdb,
		// which neither has made yet. The Chromium snap was never started:
		// its HOME is the snap's to make.
		{"Chromium and Google Chrome", ".pki/nssdb", NoDB, true, "Chromium,Google Chrome"},
		{"Brave (snap)", "snap/brave/current/.pki/nssdb", NoDB, true, "Brave (snap)"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Databases (-want +got):\n%s", d)
	}
}

func TestParseProfilesINI(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []IniProfile
	}{
		{"typical", "[Install1]\nDefault=x.default\n\n[Profile0]\nName=default\nIsRelative=1\nPath=x.default\nDefault=1\n\n[General]\nVersion=2\n",
			[]IniProfile{{Name: "default", Path: "x.default", Relative: true}}},
		{"absolute, CRLF, spaces", "[Profile1]\r\nName = My Work \r\nIsRelative=0\r\nPath=/home/a/work\r\n",
			[]IniProfile{{Name: "My Work", Path: "/home/a/work", Relative: false}}},
		{"no name, no path", "[Profile0]\nPath=p\n[Profile1]\nName=nopath\n", []IniProfile{{Name: "p", Path: "p", Relative: true}}},
		{"keys outside a profile", "Name=x\nPath=y\n[General]\nPath=z\n", nil},
		{"garbage", "\x00\xff[[[\n=\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, ParseProfilesINI([]byte(tt.in))); d != "" {
				t.Errorf("ParseProfilesINI(%q) (-want +got):\n%s", tt.in, d)
			}
		})
	}
}

func TestParseLocalState(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{`{"profile":{"info_cache":{"Default":{"name":"Person 1","avatar_icon":"x"},"Profile 1":{"name":"Work"}}}}`,
			map[string]string{"Default": "Person 1", "Profile 1": "Work"}},
		{`{"profile":{}}`, map[string]string{}},
		{`{"profile":{"info_cache":[]}}`, map[string]string{}},
		{`not json`, map[string]string{}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, ParseLocalState([]byte(tt.in))); d != "" {
			t.Errorf("ParseLocalState(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}

// TestBlinkProfileFoldersStayInside: a Local State naming a folder outside
// the user data folder is not followed.
func TestBlinkProfileFoldersStayInside(t *testing.T) {
	dir := t.TempDir()
	layout(t, dir, map[string]string{
		"ud/Local State":         `{"profile":{"info_cache":{"../outside":{"name":"x"},"..":{"name":"y"},"Default":{"name":"d"}}}}`,
		"ud/Default/Preferences": "{}",
		"outside/Preferences":    "{}",
	})
	got := blinkProfiles(filepath.Join(dir, "ud"), NSSDB{})
	if len(got) != 1 || got[0].Name != "d" {
		t.Errorf("blinkProfiles = %+v, want only Default", got)
	}
}

func FuzzParseProfilesINI(f *testing.F) {
	f.Add([]byte("[Profile0]\nName=a\nPath=x.a\n"))
	f.Add([]byte("[Profile0]\nIsRelative=0\nPath=/abs\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range ParseProfilesINI(b) {
			if p.Path == "" || p.Name == "" {
				t.Fatalf("profile without a path or a name: %+v", p)
			}
		}
	})
}

func FuzzParseLocalState(f *testing.F) {
	f.Add([]byte(`{"profile":{"info_cache":{"Default":{"name":"Person 1"}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseLocalState(b)
	})
}

func BenchmarkList(b *testing.B) {
	home := b.TempDir()
	for i := range 20 {
		d := filepath.Join(home, ".mozilla/firefox", "p"+strconv.Itoa(i)+".x")
		os.MkdirAll(d, 0o700)
		os.WriteFile(filepath.Join(d, "cert9.db"), nil, 0o600)
	}
	env := Env{GOOS: "linux", Home: home, Root: b.TempDir(), Getenv: func(string) string { return "" }}
	b.ReportAllocs()
	for b.Loop() {
		List(env)
	}
}

func BenchmarkParseProfilesINI(b *testing.B) {
	var sb strings.Builder
	for i := range 50 {
		sb.WriteString("[Profile" + strconv.Itoa(i) + "]\nName=p" + strconv.Itoa(i) + "\nIsRelative=1\nPath=x.p" + strconv.Itoa(i) + "\n\n")
	}
	src := []byte(sb.String())
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		ParseProfilesINI(src)
	}
}
