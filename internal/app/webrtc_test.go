// SPDX-License-Identifier: GPL-3.0-or-later

//go:build linux

package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"polaris/internal/settings"
	"polaris/internal/store"
	"polaris/internal/sysproxy"
)

// webrtcProfiles lays out a Firefox and a Chromium profile under a fake
// HOME and returns their settings files.
func webrtcProfiles(t *testing.T) (userJS, prefs string) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	ff := filepath.Join(home, ".mozilla", "firefox")
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(ff, "profiles.ini"), "[Profile0]\nName=default\nIsRelative=1\nPath=p1.default\n")
	userJS = filepath.Join(ff, "p1.default", "user.js")
	write(userJS, "user_pref(\"mine\", 1);\n")
	prefs = filepath.Join(home, ".config", "chromium", "Default", "Preferences")
	write(prefs, `{"webrtc":{"ip_handling_policy":"default"},"x":1}`)
	return userJS, prefs
}

// Tor on: the browsers' profiles keep WebRTC behind the proxy (the window
// is told which); Tor off and quit: the files are byte for byte as before;
// after a crash the next start puts them back.
func TestWebRTCFollowsTor(t *testing.T) {
	userJS, prefs := webrtcProfiles(t)
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	beforeJS, beforePrefs := read(userJS), read(prefs)
	dir := t.TempDir()
	a, err := Open(context.Background(), Options{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	serveApp(t, a)
	if s := a.Snapshot().WebRTC; s.On || read(userJS) != beforeJS {
		t.Fatalf("Tor off at start: WebRTC %+v, user.js changed %v", s, read(userJS) != beforeJS)
	}
	tor := func(on, always bool) {
		t.Helper()
		s := a.Settings()
		// A tor that cannot start: nothing goes to any network.
		s.Tor.Enabled, s.Tor.Binary, s.Tor.WebRTCAlways = on, "/nonexistent/tor", always
		if err := a.Apply(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	tor(true, false)
	waitFor(t, "WebRTC on in the snapshot", func() bool { return a.Snapshot().WebRTC.On })
	if got := a.Snapshot().WebRTC; len(got.Changed) != 2 {
		t.Errorf("WebRTC status %+v, want Firefox and Chromium changed", got)
	}
	if !strings.Contains(read(userJS), sysproxy.WebRTCBlock) || !strings.Contains(read(prefs), sysproxy.ChromiumWebRTCPolicy) {
		t.Fatalf("Tor on: user.js %q, Preferences %q", read(userJS), read(prefs))
	}
	tor(false, false)
	if read(userJS) != beforeJS || read(prefs) != beforePrefs || a.Snapshot().WebRTC.On {
		t.Fatalf("Tor off: user.js %q, Preferences %q, status %+v; want them as before", read(userJS), read(prefs), a.Snapshot().WebRTC)
	}
	tor(false, true)
	if !strings.Contains(read(userJS), sysproxy.WebRTCBlock) {
		t.Error("tor.webrtc-always: WebRTC not kept behind the proxy without Tor")
	}
	tor(false, false)
	if read(userJS) != beforeJS || read(prefs) != beforePrefs {
		t.Fatal("tor.webrtc-always off: files not back")
	}

	// A crash: the journal holds changed files (written as Polaris does,
	// journal first); the next start on that data dir restores them.
	crashDir := t.TempDir()
	st, _, err := store.Open(context.Background(), filepath.Join(crashDir, "polaris.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sysproxy.SetWebRTC(context.Background(), sysproxy.WebRTCConfig{Journal: store.BrowserJournal{S: st}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if !strings.Contains(read(userJS), sysproxy.WebRTCBlock) {
		t.Fatal("crash set-up: user.js not changed")
	}
	b, err := Open(context.Background(), Options{DataDir: crashDir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	serveApp(t, b)
	if read(userJS) != beforeJS || read(prefs) != beforePrefs {
		t.Fatalf("after the crash, the next start left user.js %q, Preferences %q", read(userJS), read(prefs))
	}
	waitFor(t, "the notice of the restore", func() bool {
		for _, n := range b.Snapshot().Notices {
			if strings.Contains(n.Text, "WebRTC settings; they are put back now") {
				return true
			}
		}
		return false
	})
}

// Tor Browser's Accept-Language and onion preference apply in Tor mode
// only.
func TestTorPolicyOptions(t *testing.T) {
	s := settings.Default()
	s.Tor.EnglishLanguage, s.Tor.PreferOnion = true, true
	if pol := policyFrom(s); pol.AcceptLanguage != "" || pol.PreferOnion {
		t.Errorf("Tor off: policy %+v, want neither", pol)
	}
	s.Tor.Enabled = true
	if pol := policyFrom(s); pol.AcceptLanguage != "en-US,en;q=0.5" || !pol.PreferOnion {
		t.Errorf("Tor on: AcceptLanguage %q, PreferOnion %v", pol.AcceptLanguage, pol.PreferOnion)
	}
	s.Tor.EnglishLanguage = false
	if pol := policyFrom(s); pol.AcceptLanguage != "" {
		t.Errorf("option off: AcceptLanguage %q", pol.AcceptLanguage)
	}
}
