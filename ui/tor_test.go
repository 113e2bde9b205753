// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/google/go-cmp/cmp"

	"polaris/internal/settings"
	"polaris/internal/status"
)

func torScreenOf(h *harness) *torScreen { return h.u.screens[4].s.(*torScreen) }

func TestTorConnectButton(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := newHarness(t, f, "tor")
	ts := torScreenOf(h)
	h.see("Not using Tor")
	before := f.Settings()
	h.tap("Connect to Tor")
	want := before.Clone()
	want.Tor.Enabled = true
	if diff := cmp.Diff(want, lastApply(t, got)); diff != "" {
		t.Errorf("Connect applied (-want +got):\n%s", diff)
	}
	snap := running()
	snap.Tor = status.Tor{Enabled: true, State: status.TorBootstrapping, Progress: 45, Phase: "Loading relay descriptors"}
	h.snapshot(snap)
	h.see("Connecting to Tor… 45%")
	h.see("Loading relay descriptors")
	if !ts.progress.Visible() || ts.progress.Value != 45 {
		t.Errorf("progress visible %v value %v, want visible 45", ts.progress.Visible(), ts.progress.Value)
	}
	if !ts.newID.Disabled() {
		t.Error("New identity is offered before Tor is ready")
	}
	snap.Tor = status.Tor{Enabled: true, State: status.TorReady, Progress: 100, Version: "0.4.9.3"}
	h.snapshot(snap)
	h.see("Connected to Tor")
	h.see("tor from your system (version 0.4.9.3)")
	h.tap("Disconnect")
	if s := lastApply(t, got); s.Tor.Enabled {
		t.Error("Disconnect did not turn Tor off")
	}
}

func TestTorFailureExplained(t *testing.T) {
	f := newFake(t)
	f.set.Tor.Enabled = true
	h := newHarness(t, f, "tor")
	snap := running()
	snap.Tor = status.Tor{Enabled: true, State: status.TorFailed, Err: "your clock is wrong by 3 hours; Tor cannot connect until it is right", Restarts: 2}
	h.snapshot(snap)
	h.see("Tor could not connect — pages are refused")
	h.see("Your clock is wrong by 3 hours")
	h.see("restarted 2 times")
}

// Tor connected despite a wrong clock: the clock is a warning, not an error.
func TestTorReadyWithClockWarning(t *testing.T) {
	f := newFake(t)
	f.set.Tor.Enabled = true
	h := newHarness(t, f, "tor")
	snap := running()
	snap.Tor = status.Tor{Enabled: true, State: status.TorReady, Progress: 100,
		Err: "This computer's clock is about 3 hours behind. Tor is connected anyway, but may stop working until you set the correct date, time and time zone."}
	h.snapshot(snap)
	h.see("Connected to Tor")
	h.see("about 3 hours behind. Tor is connected anyway")
	var ts *torScreen
	for _, d := range h.u.screens {
		if s, ok := d.s.(*torScreen); ok {
			ts = s
		}
	}
	if ts == nil || ts.errText.bg.color != colorWarningBG {
		t.Errorf("the clock warning of a connected Tor is not shown as a warning (screen %v)", ts != nil)
	}
}

func TestTorNewIdentityAndCircuit(t *testing.T) {
	f := newFake(t)
	f.set.Tor.Enabled = true
	calls := 0
	f.newIdentity = func() error {
		calls++
		if calls == 2 {
			return errors.New("Tor allows a new identity every 10 seconds; try again in a moment")
		}
		return nil
	}
	f.circuit = func(site string) (status.Circuit, error) {
		if site != "example.com" {
			t.Errorf("Circuit(%q), want example.com", site)
		}
		return status.Circuit{Site: site, Hops: []status.Relay{
			{Nickname: "guardian", Country: "de", Address: "192.0.2.1"},
			{Nickname: "middleman", Country: "nl", Address: "192.0.2.2"},
			{Nickname: "exiter", Country: "", Address: "192.0.2.3"},
		}}, nil
	}
	h := newHarness(t, f, "tor")
	ts := torScreenOf(h)
	snap := running()
	snap.Tor = status.Tor{Enabled: true, State: status.TorReady, Progress: 100}
	h.snapshot(snap)
	h.see("Sites can still recognise your browser by its cookies and logins")
	h.tap("New circuits for every site")
	h.see("New circuits for every site: new connections use new Tor circuits.")
	h.tap("New circuits for every site")
	if got := h.u.banner.Text(); got != "Tor allows a new identity every 10 seconds; try again in a moment" {
		t.Errorf("banner = %q", got)
	}
	test.Type(ts.site, "www.Example.com")
	h.tap("Show the circuit")
	for _, want := range []string{"Entry", "guardian", "DE", "Middle", "middleman", "Exit", "exiter", "unknown country"} {
		h.see(want)
	}
}

// New circuits for one site from the site field: a pasted address names
// the site; nothing is asked without a site.
func TestTorNewCircuitForOneSite(t *testing.T) {
	f := newFake(t)
	f.set.Tor.Enabled = true
	var asked []string
	f.newCircuit = func(site string) (string, error) {
		asked = append(asked, site)
		if site == "down.example" {
			return "", errors.New("Tor is not connected yet")
		}
		return site, nil
	}
	h := newHarness(t, f, "tor")
	ts := torScreenOf(h)
	snap := running()
	snap.Tor = status.Tor{Enabled: true, State: status.TorReady, Progress: 100}
	h.snapshot(snap)
	test.Type(ts.site, "https://www.Example.com:8443/path/page?x=1#top")
	h.tap("New circuits for this site")
	h.see("New circuits for example.com: its next connections use new Tor circuits; other sites keep theirs.")
	ts.site.SetText("not a site")
	h.tap("New circuits for this site")
	h.see("Enter a site such as example.com.")
	ts.site.SetText("down.example")
	h.tap("New circuits for this site")
	if got := h.u.banner.Text(); got != "Tor is not connected yet" {
		t.Errorf("banner = %q", got)
	}
	if !cmp.Equal(asked, []string{"example.com", "down.example"}) {
		t.Errorf("NewCircuit asked for %q", asked)
	}
	snap.Tor = status.Tor{Enabled: false, State: status.TorOff}
	f.set.Tor.Enabled = false
	h.snapshot(snap)
	if !ts.newSite.Disabled() {
		t.Error("New circuits for this site is enabled with Tor off")
	}
}

// Onion sites: the sites that announced one are listed; "prefer onion
// sites" is a setting.
func TestTorOnionSites(t *testing.T) {
	f := newFake(t)
	f.set.Tor.Enabled = true
	got := f.recordApply()
	h := newHarness(t, f, "tor")
	ts := torScreenOf(h)
	snap := running()
	snap.Tor = status.Tor{Enabled: true, State: status.TorReady, Progress: 100}
	snap.Onions = []status.OnionSite{{Site: "example.com", Onion: "http://abc.onion/"}}
	h.snapshot(snap)
	h.see("example.com has an onion address: http://abc.onion/")
	if ts.preferOnion.On {
		t.Error("prefer onion sites is on by default")
	}
	test.Tap(ts.preferOnion)
	h.settle()
	if s := lastApply(t, got); !s.Tor.PreferOnion {
		t.Error("prefer onion sites not applied")
	}
}

// WebRTC: the profiles set are listed, an open browser is named.
func TestTorWebRTC(t *testing.T) {
	f := newFake(t)
	f.set.Tor.Enabled = true
	got := f.recordApply()
	h := newHarness(t, f, "tor")
	ts := torScreenOf(h)
	snap := running()
	snap.Tor = status.Tor{Enabled: true, State: status.TorReady, Progress: 100}
	snap.WebRTC = status.WebRTC{On: true, Changed: []string{"Firefox: default-release"},
		NotChanged: []string{"Chromium: Person 1 is open, so Polaris cannot change its WebRTC setting: close the browser"},
		Restart:    []string{"Firefox: default-release"}}
	h.snapshot(snap)
	h.see("Firefox: default-release: WebRTC only through Polaris")
	h.see("Firefox: default-release is open: restart it")
	h.see("Chromium: Person 1 is open, so Polaris cannot change its WebRTC setting")
	test.Tap(ts.webrtcAll)
	h.settle()
	if s := lastApply(t, got); !s.Tor.WebRTCAlways {
		t.Error("WebRTC also without Tor not applied")
	}
}

// In Tor mode a Do Not Track choice is called out (Tor Browser sends
// none); Tor Browser's Accept-Language is an option.
func TestTorLookAlike(t *testing.T) {
	f := newFake(t)
	f.set.Tor.Enabled = true
	f.set.Signals.DNT = settings.DNTDoNotTrack
	got := f.recordApply()
	h := newHarness(t, f, "tor")
	ts := torScreenOf(h)
	snap := running()
	snap.Tor = status.Tor{Enabled: true, State: status.TorReady, Progress: 100}
	h.snapshot(snap)
	h.see("Tor Browser sends none, so with Tor on it sets you apart from other Tor users")
	test.Tap(ts.english)
	h.settle()
	s := lastApply(t, got)
	if !s.Tor.EnglishLanguage {
		t.Error("English as Tor Browser not applied")
	}
	// DNT unset: no warning.
	f.set.Signals.DNT = settings.DNTUnset
	h.u.set.Signals.DNT = settings.DNTUnset
	h.snapshot(snap)
	if ts.dntWarn.obj.Visible() {
		t.Error("the Do Not Track warning shows with DNT unset")
	}
}

func TestTorBridges(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := newHarness(t, f, "tor")
	ts := torScreenOf(h)
	if ts.bridgeLines.Visible() {
		t.Error("the bridge box shows without own bridges")
	}
	tapRadio(t, ts.bridges, 1)
	h.settle()
	if s := lastApply(t, got); s.Tor.Bridges != settings.BridgesObfs4 {
		t.Errorf("bridges %q, want obfs4", s.Tor.Bridges)
	}
	// Own bridges: nothing is applied until lines are given.
	n := len(*got)
	tapRadio(t, ts.bridges, 3)
	h.settle()
	if len(*got) != n || !ts.bridgeLines.Visible() {
		t.Fatalf("choosing own bridges applied %d changes (want 0), box visible %v", len(*got)-n, ts.bridgeLines.Visible())
	}
	ts.bridgeLines.SetText("not a bridge")
	h.tap("Use these bridges")
	h.see("A bridge line is not valid")
	ts.bridgeLines.SetText("obfs4 192.0.2.1:443 0123456789ABCDEF cert=abc iat-mode=0\nBridge obfs4 192.0.2.2:80 FEDC cert=def iat-mode=1")
	h.tap("Use these bridges")
	s := lastApply(t, got)
	want := []string{"obfs4 192.0.2.1:443 0123456789ABCDEF cert=abc iat-mode=0", "obfs4 192.0.2.2:80 FEDC cert=def iat-mode=1"}
	if s.Tor.Bridges != settings.BridgesCustom || !cmp.Equal(s.Tor.BridgeLines, want) {
		t.Errorf("applied %q %q, want custom %q", s.Tor.Bridges, s.Tor.BridgeLines, want)
	}
}

func TestTorExitCountriesAndIsolation(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := newHarness(t, f, "tor")
	ts := torScreenOf(h)
	h.see("The Tor Project advises against this")
	ts.countries.SetText("Germany")
	h.tap("Save")
	h.see("Use two-letter country codes")
	if len(*got) != 0 {
		t.Fatal("a bad country was applied")
	}
	ts.countries.SetText("DE, nl")
	h.tap("Save")
	if s := lastApply(t, got); !cmp.Equal(s.Tor.ExitCountries, []string{"de", "nl"}) {
		t.Errorf("exit countries %v", s.Tor.ExitCountries)
	}
	test.Tap(ts.isolate)
	h.settle()
	if s := lastApply(t, got); s.Tor.Isolate {
		t.Error("isolation still on")
	}
}

// TestTorStalledOffersBridges: when bootstrap stands still, the screen says
// in words what Tor waits for and offers the built-in bridges in one click
// (then Snowflake); at 0% the bar says it has not started; the words say
// pages are refused, never "held".
func TestTorStalledOffersBridges(t *testing.T) {
	f := newFake(t)
	f.set.Tor.Enabled = true
	got := f.recordApply()
	h := newHarness(t, f, "tor")
	ts := torScreenOf(h)
	snap := running()
	snap.Tor = status.Tor{Enabled: true, State: status.TorBootstrapping, Progress: 0, Phase: "Starting"}
	h.snapshot(snap)
	if s := ts.progress.TextFormatter(); s != "Not connected yet — 0%" {
		t.Errorf("the bar at 0%% reads %q", s)
	}
	h.see("pages are refused until it is ready")
	if ts.useBridges.Visible() {
		t.Error("bridges are offered before bootstrap stalled")
	}
	snap.Tor = status.Tor{Enabled: true, State: status.TorBootstrapping, Progress: 10, Phase: "Connected to a relay",
		Stalled: true, Waiting: "Tor reached a relay and is waiting for it to answer the secure handshake."}
	h.snapshot(snap)
	h.see("No progress for a while. Tor reached a relay and is waiting for it to answer the secure handshake.")
	before := f.Settings()
	h.tap("Use the built-in bridges")
	want := before.Clone()
	want.Tor.Bridges = settings.BridgesObfs4
	if diff := cmp.Diff(want, lastApply(t, got)); diff != "" {
		t.Errorf("one click applied (-want +got):\n%s", diff)
	}
	h.snapshot(snap) // still stalled, with obfs4
	h.tap("Try Snowflake instead")
	if s := lastApply(t, got); s.Tor.Bridges != settings.BridgesSnowflake {
		t.Errorf("bridges %s, want snowflake", s.Tor.Bridges)
	}
	// Moving again: the help goes.
	snap.Tor = status.Tor{Enabled: true, State: status.TorBootstrapping, Progress: 50, Phase: "Loading relay descriptors"}
	h.snapshot(snap)
	h.dontSee("No progress for a while")
	if ts.useBridges.Visible() {
		t.Error("bridges still offered once Tor moves again")
	}
	h.dontSee("held")
	h.u.selectScreen("overview")
	h.see("Tor is connecting — pages are refused until it is ready")
	h.dontSee("held")
}
