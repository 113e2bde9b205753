// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/google/go-cmp/cmp"

	"polaris/internal/settings"
	"polaris/internal/status"
)

func blockingHarness(t *testing.T, f *fakeController, tab string) *harness {
	t.Helper()
	screen := "blocking"
	if tab != "" {
		screen += "/" + tab
	}
	return newHarness(t, f, screen)
}

func TestBlockingPresets(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := blockingHarness(t, f, "")
	b := h.u.blocking
	tapRadio(t, b.preset, 1)
	h.settle()
	s := lastApply(t, got)
	if s.Blocking.Preset != settings.PresetStrict || !cmp.Equal(s.Blocking.Categories, settings.Categories) {
		t.Errorf("Strict applied preset %q categories %v, want strict and every category", s.Blocking.Preset, s.Blocking.Categories)
	}
	for c, tog := range b.cats {
		if !tog.On {
			t.Errorf("after Strict the %s switch is off", c)
		}
	}
	tapRadio(t, b.preset, 0)
	h.settle()
	s = lastApply(t, got)
	if s.Blocking.Preset != settings.PresetStandard || !cmp.Equal(s.Blocking.Categories, settings.PresetCategories(settings.PresetStandard)) {
		t.Errorf("Standard applied %q %v", s.Blocking.Preset, s.Blocking.Categories)
	}
}

func TestBlockingCategorySwitchMakesCustom(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := blockingHarness(t, f, "")
	b := h.u.blocking
	test.Tap(b.cats[settings.CatSocial])
	h.settle()
	s := lastApply(t, got)
	want := []settings.Category{settings.CatAdvertising, settings.CatAnalytics, settings.CatFingerprinting, settings.CatCryptomining, settings.CatEmail}
	if s.Blocking.Preset != settings.PresetCustom || !cmp.Equal(s.Blocking.Categories, want) {
		t.Errorf("social off applied %q %v, want custom %v", s.Blocking.Preset, s.Blocking.Categories, want)
	}
	if b.preset.Selected != b.presetOptions[2] {
		t.Errorf("the level shows %q, want Custom", b.preset.Selected)
	}
	test.Tap(b.cats[settings.CatContent])
	h.settle()
	if s := lastApply(t, got); !s.Blocking.Blocks(settings.CatContent) || s.Blocking.Blocks(settings.CatSocial) {
		t.Errorf("content on applied %v", s.Blocking.Categories)
	}
}

func TestBlockingFinePoints(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := blockingHarness(t, f, "")
	b := h.u.blocking
	test.Tap(b.hold)
	test.Tap(b.owner)
	test.Tap(b.dntPolicy)
	h.settle()
	s := lastApply(t, got)
	want := settings.Default().Blocking
	want.HoldUntilLoaded, want.OwnerParties, want.HonorDNTPolicy = false, false, true
	if diff := cmp.Diff(want, s.Blocking); diff != "" {
		t.Errorf("three switches applied (-want +got):\n%s", diff)
	}
	if len(*got) != 3 {
		t.Errorf("%d applies, want 3 (one per click, in order)", len(*got))
	}
}

func TestBlockingAllowlist(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	h := blockingHarness(t, f, "allowed")
	b := h.u.blocking
	h.see("No sites yet")
	test.Type(b.allowEntry, "not a host!")
	h.see("Enter a site such as example.com")
	if !b.allowAdd.Disabled() {
		t.Error("Allow is enabled for a bad pattern")
	}
	b.allowEntry.SetText("")
	test.Type(b.allowEntry, "*.Shop.Example")
	if b.allowAdd.Disabled() {
		t.Fatal("Allow is disabled for a good pattern")
	}
	h.dontSee("Enter a site such as example.com")
	h.tap("Allow")
	if s := lastApply(t, got); !cmp.Equal(s.Blocking.Allowlist, []string{"*.shop.example"}) {
		t.Errorf("allowlist %v, want [*.shop.example]", s.Blocking.Allowlist)
	}
	h.see("*.shop.example")
	h.tap("Remove")
	if s := lastApply(t, got); len(s.Blocking.Allowlist) != 0 {
		t.Errorf("after Remove: %v", s.Blocking.Allowlist)
	}
}

func sampleLists() []status.List {
	return []status.List{
		{ID: 1, Name: "EasyPrivacy", URL: "https://easylist.to/easylist/easyprivacy.txt", License: "GPL-3.0", Enabled: true,
			Rules: 51234, Errors: 2, LastSuccess: testNow.Add(-3 * time.Hour), Interval: 24 * time.Hour},
		{ID: 2, Name: "Disconnect", License: "CC BY-NC-SA 4.0", NonCommercial: true, Enabled: false, Rules: 3100,
			LastSuccess: testNow.Add(-72 * time.Hour), Interval: 4 * 24 * time.Hour, LastError: "the server answered 503"},
	}
}

func TestBlockingLists(t *testing.T) {
	f := newFake(t)
	var mu sync.Mutex
	var updated []int64
	f.updateLists = func(id int64) error { mu.Lock(); updated = append(updated, id); mu.Unlock(); return nil }
	var enabled []string
	f.setListEnabled = func(id int64, on bool) error {
		enabled = append(enabled, map[bool]string{true: "on", false: "off"}[on]+string(rune('0'+id)))
		return nil
	}
	var every []time.Duration
	f.setListInterval = func(id int64, d time.Duration) error { every = append(every, d); return nil }
	h := blockingHarness(t, f, "lists")
	snap := running()
	snap.Blocking.Lists = sampleLists()
	h.snapshot(snap)
	for _, want := range []string{"EasyPrivacy", "51,234 rules", "Updated 3 hours ago", "2 lines skipped", "Licence: GPL-3.0",
		"Disconnect", "Non-commercial licence", "Licence: CC BY-NC-SA 4.0", "The last update failed: the server answered 503",
		"Updates: every day", "Updates: every 4 days"} {
		h.see(want)
	}
	h.tap("Update all now")
	if !cmp.Equal(updated, []int64{0}) {
		t.Errorf("Update all updated %v, want [0]", updated)
	}
	test.Tap(h.button("Update now"))
	h.settle()
	if !cmp.Equal(updated, []int64{0, 2}) { // the last "Update now" on screen is Disconnect's
		t.Errorf("Update now updated %v, want [0 2]", updated)
	}
	// The switch of the second list.
	rows := h.u.blocking.lists.rows.Objects
	if len(rows) != 2 {
		t.Fatalf("%d list rows, want 2", len(rows))
	}
	var toggles []*Toggle
	for _, o := range h.objects() {
		if tg, ok := o.(*Toggle); ok && tg.Label == "Use this list" {
			toggles = append(toggles, tg)
		}
	}
	if len(toggles) != 2 || !toggles[0].On || toggles[1].On {
		t.Fatalf("list switches %v, want 2 (on, off)", toggles)
	}
	test.Tap(toggles[1])
	h.settle()
	if !cmp.Equal(enabled, []string{"on2"}) {
		t.Errorf("SetListEnabled calls %v, want [on2]", enabled)
	}
}

func TestBlockingListUpdateErrorShown(t *testing.T) {
	f := newFake(t)
	f.updateLists = func(int64) error { return errUnavailable }
	h := blockingHarness(t, f, "lists")
	h.tap("Update all now")
	if got := h.u.banner.Text(); got != "This is not available in this version of Polaris yet" {
		t.Errorf("banner = %q", got)
	}
	if h.button("Update all now").Disabled() {
		t.Error("Update all stays disabled after a failure")
	}
}

func TestBlockingAddList(t *testing.T) {
	f := newFake(t)
	release := make(chan error)
	var gotURL, gotName string
	f.addList = func(url, name string) error { gotURL, gotName = url, name; return <-release }
	h := blockingHarness(t, f, "lists")
	l := &h.u.blocking.lists
	test.Type(l.url, "ftp://lists.example/x")
	h.see("Enter the full address of a list, starting with https://")
	if !l.add.Disabled() {
		t.Error("Add is enabled for an ftp URL")
	}
	l.url.SetText("")
	test.Type(l.url, "https://lists.example/mine.txt")
	test.Type(l.name, "My list")
	test.Tap(l.add)
	// The download runs: the window shows progress and stays usable.
	h.until("the progress bar", func() bool { return l.progress.Visible() })
	h.see("Downloading…")
	if !l.add.Disabled() {
		t.Error("Add is enabled while the list downloads")
	}
	release <- nil
	h.settle()
	if gotURL != "https://lists.example/mine.txt" || gotName != "My list" {
		t.Errorf("AddList(%q, %q)", gotURL, gotName)
	}
	if l.progress.Visible() || l.url.Text != "" {
		t.Errorf("after the download: progress visible %v, url %q", l.progress.Visible(), l.url.Text)
	}
	h.see("The list was added.")
	// A failure is shown and the address is kept for another try.
	test.Type(l.url, "https://lists.example/broken.txt")
	test.Tap(l.add)
	release <- errors.New("downloading https://lists.example/broken.txt: the server answered 404")
	h.settle()
	if got := h.u.banner.Text(); !strings.Contains(got, "404") {
		t.Errorf("banner = %q, want the 404", got)
	}
	if l.url.Text != "https://lists.example/broken.txt" {
		t.Errorf("the address was lost: %q", l.url.Text)
	}
}

func TestBlockingRemoveListAsksFirst(t *testing.T) {
	f := newFake(t)
	var removed []int64
	f.removeList = func(id int64) error { removed = append(removed, id); return nil }
	h := blockingHarness(t, f, "lists")
	snap := running()
	snap.Blocking.Lists = sampleLists()[:1]
	h.snapshot(snap)
	h.tap("Remove")
	h.see("Polaris will stop using the rules of “EasyPrivacy”")
	h.tap("No")
	if len(removed) != 0 {
		t.Fatal("removed without confirmation")
	}
	h.tap("Remove")
	h.tap("Yes")
	if !cmp.Equal(removed, []int64{1}) {
		t.Errorf("RemoveList calls %v, want [1]", removed)
	}
}

func TestBlockingCustomRulesValidateAsYouType(t *testing.T) {
	f := newFake(t)
	f.set.Blocking.CustomRules = "||ads.example^"
	got := f.recordApply()
	f.validateRule = func(line string) error {
		if strings.Contains(line, "$bogus") {
			return errors.New("unknown option bogus")
		}
		return nil
	}
	h := blockingHarness(t, f, "rules")
	r := &h.u.blocking.rules
	if r.editor.Text != "||ads.example^" {
		t.Fatalf("editor shows %q", r.editor.Text)
	}
	r.editor.SetText("||ads.example^\n! comment\n||x.example^$bogus\n")
	h.until("the check", func() bool { return r.invalid == 1 })
	h.see("Line 3: unknown option bogus")
	h.see("1 line has a problem. Fix it to save.")
	if !r.save.Disabled() {
		t.Error("Save is enabled with a bad line")
	}
	r.editor.SetText("||ads.example^\n! comment\n||x.example^$third-party\n")
	h.until("the check", func() bool { return r.invalid == 0 && !r.save.Disabled() })
	h.see("All 2 rules are valid.")
	h.tap("Save rules")
	if s := lastApply(t, got); s.Blocking.CustomRules != "||ads.example^\n! comment\n||x.example^$third-party" {
		t.Errorf("saved %q", s.Blocking.CustomRules)
	}
	h.until("the check after saving", func() bool { return r.save.Disabled() && r.revert.Disabled() })
}

func TestBlockingCustomRulesWithoutChecker(t *testing.T) {
	f := newFake(t)
	got := f.recordApply()
	f.validateRule = func(string) error { return errUnavailable }
	h := blockingHarness(t, f, "rules")
	r := &h.u.blocking.rules
	r.editor.SetText("||ads.example^")
	h.until("the check", func() bool { return r.noCheck && !r.save.Disabled() })
	h.see("This version of Polaris cannot check rules yet")
	h.tap("Save rules")
	if s := lastApply(t, got); s.Blocking.CustomRules != "||ads.example^" {
		t.Errorf("saved %q", s.Blocking.CustomRules)
	}
}

func TestBlockingLiveLog(t *testing.T) {
	f := newFake(t)
	reads := 0
	decisions := []status.Decision{
		{Time: testNow, URL: "https://tracker.example/pixel.gif", Host: "tracker.example", Site: "news.example",
			Verdict: status.Blocked, Rule: "||tracker.example^", List: "EasyPrivacy", Category: "analytics"},
		{Time: testNow.Add(-time.Second), URL: "https://news.example/", Host: "news.example", Site: "news.example", Verdict: status.Allowed},
	}
	f.recent = func(max int) []status.Decision { reads++; return decisions }
	var allowed []string
	f.allowSite = func(site string) error { allowed = append(allowed, site); return nil }
	h := blockingHarness(t, f, "activity")
	h.settle()
	first := reads
	if first == 0 {
		t.Fatal("the log was not read when the tab opened")
	}
	h.see("https://tracker.example/pixel.gif")
	h.see("On news.example · rule ||tracker.example^ from EasyPrivacy")
	h.dontSee("https://news.example/") // blocked only, by default
	// A new decision (LogSeq moves) re-reads the log; an unchanged one does not.
	snap := running()
	snap.Blocking.LogSeq = 7
	h.snapshot(snap)
	h.snapshot(snap)
	if reads != first+1 {
		t.Errorf("log read %d times after two snapshots with one new LogSeq, want %d", reads, first+1)
	}
	test.Tap(h.u.blocking.log.onlyBlocked)
	h.see("https://news.example/")
	_ = allowed
}

// TestLogAllowActions: each allow action of the log does exactly what it
// says to the settings — the tracker on that site only, protection off on
// that site (named and confirmed), the tracker everywhere (confirmed) —
// and a request whose site is unknown never allows its tracker everywhere
// without saying so.
func TestLogAllowActions(t *testing.T) {
	known := status.Decision{Time: testNow, URL: "https://connect.facebook.net/sdk.js", Host: "connect.facebook.net", Site: "news.example",
		Verdict: status.Blocked, Rule: "||facebook.net^", List: "EasyPrivacy"}
	unknown := status.Decision{Time: testNow, URL: "https://facebook.net/", Host: "facebook.net",
		Verdict: status.Blocked, Rule: "||facebook.net^", List: "EasyPrivacy"}
	setup := func(t *testing.T, d status.Decision) (*harness, *fakeController, *[]settings.Settings, *[]string) {
		f := newFake(t)
		f.set.Blocking.CustomRules = "||ads.example^"
		f.recent = func(int) []status.Decision { return []status.Decision{d} }
		f.validateRule = func(string) error { return nil } // the rules tab checks the rules it shows
		var allowed []string
		f.allowSite = func(site string) error {
			allowed = append(allowed, site)
			f.set.Blocking.Allowlist = append(f.set.Blocking.Allowlist, site) // as the engine does
			return nil
		}
		got := f.recordApply()
		h := blockingHarness(t, f, "activity")
		h.settle()
		h.tap("Allow…")
		return h, f, got, &allowed
	}
	t.Run("this tracker on this site", func(t *testing.T) {
		h, f, got, allowed := setup(t, known)
		before := f.Settings()
		h.tapMenu("Allow connect.facebook.net on news.example only")
		want := before.Clone()
		want.Blocking.CustomRules = "||ads.example^\n@@||connect.facebook.net^$domain=news.example"
		if diff := cmp.Diff(want, lastApply(t, got)); diff != "" {
			t.Errorf("applied (-want +got):\n%s", diff)
		}
		if len(*allowed) != 0 {
			t.Errorf("the whole site was allowed too: %v", *allowed)
		}
		h.see("connect.facebook.net is now allowed on news.example, and still blocked everywhere else.")
		// Twice is once.
		h.tap("Allow…")
		h.tapMenu("Allow connect.facebook.net on news.example only")
		if s := lastApply(t, got); s.Blocking.CustomRules != want.Blocking.CustomRules {
			t.Errorf("a second time: %q", s.Blocking.CustomRules)
		}
	})
	t.Run("protection off on the site, confirmed", func(t *testing.T) {
		h, f, got, allowed := setup(t, known)
		before := f.Settings()
		h.tapMenu("Turn off protection on news.example…")
		h.see("Nothing will be blocked on news.example")
		if h.u.win.Canvas().Focused() != h.u.risky.safe || h.u.risky.safe.Text != "Cancel" {
			t.Error("the safe answer is not the default")
		}
		h.tap("Cancel")
		if len(*allowed) != 0 || len(*got) != 0 {
			t.Fatalf("cancelled, yet AllowSite %v and %d applies", *allowed, len(*got))
		}
		h.tap("Allow…")
		h.tapMenu("Turn off protection on news.example…")
		h.tap("Turn off protection on news.example")
		if !cmp.Equal(*allowed, []string{"news.example"}) || len(*got) != 0 {
			t.Errorf("AllowSite %v, %d other changes; want [news.example] only", *allowed, len(*got))
		}
		if s := f.Settings(); s.Blocking.CustomRules != before.Blocking.CustomRules {
			t.Errorf("rules changed: %q", s.Blocking.CustomRules)
		}
		h.see("Protections are now off on news.example.")
		h.see("Trackers it loads over HTTPS connections that Polaris does not look inside are still blocked")
	})
	t.Run("everywhere, confirmed", func(t *testing.T) {
		h, f, got, allowed := setup(t, known)
		before := f.Settings()
		h.tapMenu("Allow connect.facebook.net on every site…")
		h.see("can follow you from one to the next")
		h.tap("Cancel")
		if len(*got) != 0 {
			t.Fatal("cancelled, yet applied")
		}
		h.tap("Allow…")
		h.tapMenu("Allow connect.facebook.net on every site…")
		h.tap("Allow it everywhere")
		want := before.Clone()
		want.Blocking.CustomRules = "||ads.example^\n@@||connect.facebook.net^"
		if diff := cmp.Diff(want, lastApply(t, got)); diff != "" {
			t.Errorf("applied (-want +got):\n%s", diff)
		}
		if len(*allowed) != 0 {
			t.Errorf("a site was allowed: %v", *allowed)
		}
	})
	t.Run("unknown site", func(t *testing.T) {
		h, _, got, allowed := setup(t, unknown)
		h.dontSee(".net only") // no "Allow facebook.net on facebook.net only"
		h.dontSee("Turn off protection")
		h.tapMenu("Allow facebook.net on every site…")
		h.see("Polaris could not tell which site loaded it")
		h.tap("Cancel")
		if len(*allowed) != 0 || len(*got) != 0 {
			t.Errorf("a row of unknown site allowed something without confirmation: AllowSite %v, %d applies", *allowed, len(*got))
		}
	})
}

func TestBlockingLiveLogNotReadWhenHidden(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, "overview")
	snap := running()
	snap.Blocking.LogSeq = 3
	h.snapshot(snap) // f.recent is nil: reading the log would fail the test
}

// TestSiteFieldsTakeAPastedAddress: a site field takes the host of an
// address pasted from the browser's address bar.
func TestSiteFieldsTakeAPastedAddress(t *testing.T) {
	for in, want := range map[string]string{
		"https://www.Shop.example/cart?id=1#top": "www.shop.example",
		"http://shop.example:8080/":              "shop.example",
		"shop.example/page":                      "shop.example",
		"  shop.example  ":                       "shop.example",
		"*.shop.example":                         "*.shop.example",
		"https://user@shop.example./":            "shop.example",
	} {
		if got := siteOf(in); got != want {
			t.Errorf("siteOf(%q) = %q, want %q", in, got, want)
		}
	}
	f := newFake(t)
	got := f.recordApply()
	h := blockingHarness(t, f, "allowed")
	b := h.u.blocking
	test.Type(b.allowEntry, "https://www.shop.example/basket?session=abc")
	if b.allowAdd.Disabled() {
		t.Fatal("Allow is disabled for a pasted address")
	}
	h.dontSee("Enter a site such as example.com")
	h.tap("Allow")
	if s := lastApply(t, got); !cmp.Equal(s.Blocking.Allowlist, []string{"www.shop.example"}) {
		t.Errorf("allowlist %v, want [www.shop.example]", s.Blocking.Allowlist)
	}
}

// TestBlockingAddListOffline: a list added while offline stays (the engine
// keeps it) and the window says it will be downloaded later, instead of a
// row that flashes in and vanishes with an error.
func TestBlockingAddListOffline(t *testing.T) {
	f := newFake(t)
	f.addList = func(url, name string) error {
		return fmt.Errorf("%w: %w", status.ErrNotDownloaded, errors.New("the server name lists.example could not be found (no network?)"))
	}
	h := blockingHarness(t, f, "lists")
	l := &h.u.blocking.lists
	test.Type(l.url, "https://lists.example/mine.txt")
	test.Tap(l.add)
	h.settle()
	h.see("The list was added, but it could not be downloaded now (the server name lists.example could not be found (no network?)). Polaris downloads it by itself as soon as it can reach it.")
	if l.url.Text != "" {
		t.Errorf("the address is still in the field: %q", l.url.Text)
	}
	snap := running()
	snap.Blocking.Lists = []status.List{{ID: 9, Name: "https://lists.example/mine.txt", URL: "https://lists.example/mine.txt", Enabled: true,
		LastError: "the server name lists.example could not be found (no network?)", NextUpdate: testNow.Add(5 * time.Minute)}}
	h.snapshot(snap)
	h.see("https://lists.example/mine.txt")
}

// FuzzSiteOf: whatever is typed or pasted into a site field, siteOf
// returns without panicking, and what it returns has no path, query,
// fragment or surrounding space.
func FuzzSiteOf(f *testing.F) {
	for _, s := range []string{"https://www.shop.example/cart?id=1#top", "shop.example:8080", "*.shop.example", "http://[::1]:80/",
		"https://user:pw@host.example./", "://", "a/b?c#d", " x ", "http://%zz/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := siteOf(in)
		if strings.ContainsAny(out, "/?#") && !strings.Contains(in, "://") {
			t.Errorf("siteOf(%q) = %q keeps a path", in, out)
		}
		if out != strings.TrimSpace(out) && strings.TrimSpace(out) != "" {
			t.Errorf("siteOf(%q) = %q keeps spaces", in, out)
		}
		checkSite(in) // must not panic
	})
}

// TestLogNewCircuits: in Tor mode each row of the log whose site is known
// gives that site new circuits (issue 19: "from the log"); with Tor off, or
// for a row of unknown site, there is no such button.
func TestLogNewCircuits(t *testing.T) {
	rows := []status.Decision{
		{Time: testNow, URL: "https://tracker.example/p.gif", Host: "tracker.example", Site: "news.example", Verdict: status.Blocked, Rule: "||tracker.example^"},
	}
	var asked []string
	f := newFake(t)
	f.set.Tor.Enabled = true
	f.recent = func(int) []status.Decision { return rows }
	f.newCircuit = func(site string) (string, error) { asked = append(asked, site); return site, nil }
	h := blockingHarness(t, f, "activity")
	h.settle()
	h.tap("New Tor circuits")
	h.until("the new circuits", func() bool { return len(asked) == 1 })
	if asked[0] != "news.example" {
		t.Errorf("new circuits for %q, want news.example (the row's site)", asked[0])
	}
	h.see("New circuits for news.example")

	f2 := newFake(t)
	f2.recent = func(int) []status.Decision { return rows }
	h2 := blockingHarness(t, f2, "activity")
	h2.settle()
	h2.dontSee("New Tor circuits")
}
