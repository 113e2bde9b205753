// SPDX-License-Identifier: GPL-3.0-or-later

package sysproxy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"polaris/internal/browsers"
)

// webrtcHome lays out a Firefox profile (with a user.js of the user's) and
// a Chromium user data folder with two profiles, under a fake home.
func webrtcHome(t *testing.T) (browsers.Env, map[string]string) {
	t.Helper()
	home, root := t.TempDir(), t.TempDir()
	ff := filepath.Join(home, ".mozilla", "firefox")
	writeFile(t, filepath.Join(ff, "profiles.ini"), "[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd.default-release\n")
	writeFile(t, filepath.Join(ff, "abcd.default-release", "prefs.js"), "user_pref(\"browser.startup.page\", 3);\n")
	writeFile(t, filepath.Join(ff, "abcd.default-release", "user.js"), "user_pref(\"mine\", 1);") // no final newline
	cr := filepath.Join(home, ".config", "chromium")
	writeFile(t, filepath.Join(cr, "Local State"), `{"profile":{"info_cache":{"Default":{"name":"Person 1"},"Profile 1":{"name":"Work"}}}}`)
	writeFile(t, filepath.Join(cr, "Default", "Preferences"), `{"browser":{"has_seen_welcome_page":true},"webrtc":{"multiple_routes_enabled":false},"zzz":[1,2.50,"x"]}`)
	writeFile(t, filepath.Join(cr, "Profile 1", "Preferences"), `{"profile":{"name":"Work"}}`)
	files := map[string]string{
		"user.js": filepath.Join(ff, "abcd.default-release", "user.js"),
		"default": filepath.Join(cr, "Default", "Preferences"),
		"work":    filepath.Join(cr, "Profile 1", "Preferences"),
	}
	return browsers.Env{GOOS: "linux", Home: home, Root: root, Getenv: func(string) string { return "" }}, files
}

func snapshotFiles(t *testing.T, files map[string]string) map[string]string {
	out := map[string]string{}
	for k, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = string(b)
	}
	return out
}

// Tor on: every profile keeps WebRTC behind the proxy, journalled first;
// Tor off: every file is byte for byte what it was.
func TestWebRTCSetAndRestore(t *testing.T) {
	env, files := webrtcHome(t)
	before := snapshotFiles(t, files)
	j := &memJournal{}
	j.check = func() {
		// The journal is written before the file it describes: at the
		// first save nothing is changed yet.
		if j.saves == 0 && snapshotFiles(t, files)["user.js"] != before["user.js"] {
			t.Error("a file was changed before the journal was written")
		}
	}
	cfg := WebRTCConfig{Journal: j, Browsers: env}
	rep, err := SetWebRTC(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changed) != 3 || len(rep.NotChanged) != 0 {
		t.Fatalf("report %+v, want 3 profiles changed", rep)
	}
	now := snapshotFiles(t, files)
	if want := before["user.js"] + "\n" + WebRTCBlock; now["user.js"] != want {
		t.Errorf("user.js = %q, want %q", now["user.js"], want)
	}
	for _, k := range []string{"default", "work"} {
		if pol, err := blinkPolicy([]byte(now[k])); err != nil || pol != ChromiumWebRTCPolicy {
			t.Errorf("%s: ip_handling_policy %q, %v", k, pol, err)
		}
	}
	if !strings.Contains(now["default"], `"multiple_routes_enabled":false`) || !strings.Contains(now["default"], `"zzz":[1,2.50,"x"]`) {
		t.Errorf("other Chromium preferences were not kept as they were: %s", now["default"])
	}
	// Again: nothing new (idempotent).
	saves := j.saves
	if rep, err := SetWebRTC(context.Background(), cfg); err != nil || len(rep.Changed) != 3 || j.saves != saves {
		t.Errorf("second SetWebRTC: %+v, %v, %d new saves", rep, err, j.saves-saves)
	}
	if _, restored, err := RestoreWebRTC(context.Background(), cfg); err != nil || !restored {
		t.Fatalf("RestoreWebRTC: %v, %v", restored, err)
	}
	if after := snapshotFiles(t, files); after["user.js"] != before["user.js"] || after["default"] != before["default"] || after["work"] != before["work"] {
		t.Errorf("files after restore differ:\n%q\nwant\n%q", after, before)
	}
	if j.has() {
		t.Error("journal not cleared")
	}
	if _, restored, err := RestoreWebRTC(context.Background(), cfg); err != nil || restored {
		t.Errorf("RestoreWebRTC with nothing saved: %v, %v", restored, err)
	}
}

// A crash after the journal was written: the next start restores, whether
// or not the files were written yet. Edits made meanwhile are kept.
func TestWebRTCRecoverAfterCrash(t *testing.T) {
	env, files := webrtcHome(t)
	before := snapshotFiles(t, files)
	j := &memJournal{}
	cfg := WebRTCConfig{Journal: j, Browsers: env}
	if _, err := SetWebRTC(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	// Meanwhile: the user adds a line to user.js; Chromium ran and
	// rewrote Default's Preferences (keeping the policy).
	ujs := readFile(t, files["user.js"]) + "user_pref(\"later\", 2);\n"
	writeFile(t, files["user.js"], ujs)
	writeFile(t, files["default"], `{"webrtc":{"ip_handling_policy":"disable_non_proxied_udp","multiple_routes_enabled":false},"new":1}`)
	// "Work" was put back by hand to what it was, before the crash.
	writeFile(t, files["work"], before["work"])

	notes, restored, err := RestoreWebRTC(context.Background(), cfg)
	if err != nil || !restored {
		t.Fatalf("RestoreWebRTC: %v, %v", restored, err)
	}
	if got := readFile(t, files["user.js"]); got != before["user.js"]+"\nuser_pref(\"later\", 2);\n" {
		t.Errorf("user.js = %q: want the user's lines without Polaris's block", got)
	}
	if pol, _ := blinkPolicy([]byte(readFile(t, files["default"]))); pol != "" || !strings.Contains(readFile(t, files["default"]), `"new":1`) {
		t.Errorf("Default Preferences = %s: want the policy removed, the rest kept", readFile(t, files["default"]))
	}
	if got := readFile(t, files["work"]); got != before["work"] {
		t.Errorf("Work Preferences = %s", got)
	}
	if len(notes) != 2 || j.has() {
		t.Errorf("notes %q, journal kept %v; want 2 notes and a cleared journal", notes, j.has())
	}
}

// An open Chromium is named and left alone; its profile is changed once it
// is closed. An open Firefox gets its user.js (read at the next start) and
// is named as needing a restart.
func TestWebRTCOpenBrowsers(t *testing.T) {
	env, files := webrtcHome(t)
	before := snapshotFiles(t, files)
	pid := "4242"
	if err := os.MkdirAll(filepath.Join(env.Root, "proc", pid), 0o755); err != nil {
		t.Fatal(err)
	}
	cr := filepath.Dir(filepath.Dir(files["default"]))
	if err := os.Symlink("host-"+pid, filepath.Join(cr, "SingletonLock")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("127.0.0.1:+"+pid, filepath.Join(filepath.Dir(files["user.js"]), "lock")); err != nil {
		t.Fatal(err)
	}
	j := &memJournal{}
	cfg := WebRTCConfig{Journal: j, Browsers: env}
	rep, err := SetWebRTC(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changed) != 1 || len(rep.Restart) != 1 || len(rep.NotChanged) != 2 || !strings.Contains(rep.NotChanged[0], "is open") {
		t.Fatalf("report %+v: want Firefox changed (restart) and both Chromium profiles named", rep)
	}
	now := snapshotFiles(t, files)
	if now["default"] != before["default"] || now["work"] != before["work"] {
		t.Error("an open Chromium's preferences were changed")
	}
	os.Remove(filepath.Join(cr, "SingletonLock"))
	if rep, err := SetWebRTC(context.Background(), cfg); err != nil || len(rep.Changed) != 3 {
		t.Fatalf("after Chromium closed: %+v, %v", rep, err)
	}
	if _, _, err := RestoreWebRTC(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if after := snapshotFiles(t, files); after["user.js"] != before["user.js"] || after["default"] != before["default"] || after["work"] != before["work"] {
		t.Errorf("files after restore differ")
	}
}

func FuzzBlinkPolicy(f *testing.F) {
	f.Add(`{"webrtc":{"ip_handling_policy":"default"}}`)
	f.Add(`{"webrtc":1}`)
	f.Add(`{}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, prefs string) {
		pol, err := blinkPolicy([]byte(prefs))
		if err != nil {
			return
		}
		out, err := setBlinkPolicy([]byte(prefs), ChromiumWebRTCPolicy)
		if err != nil {
			return
		}
		if got, err := blinkPolicy(out); err != nil || got != ChromiumWebRTCPolicy {
			t.Fatalf("set then read: %q, %v", got, err)
		}
		back, err := setBlinkPolicy(out, pol)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := blinkPolicy(back); got != pol {
			t.Fatalf("restored policy %q, want %q", got, pol)
		}
	})
}
