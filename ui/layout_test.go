// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"strings"
	"testing/fstest"

	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/status"
)

// maxContentWidth is the widest any screen may need, so that every control
// stays on screen in the default 1000-pixel window (and on a 1024-pixel
// laptop display).
const maxContentWidth = 960

// TestScreensFitTheWindow opens every screen and every Blocking tab with
// long real-world texts (a licence with its URL, a long list address, a long
// tracker URL and rule, a long error) and checks that no screen asks for
// more width than the window has: a screen wider than the window pushes its
// switches and buttons off the right edge, where nobody can reach them.
func TestScreensFitTheWindow(t *testing.T) {
	long := "https://pgl.yoyo.org/adservers/serverlist.php?hostformat=adblockplus&showintro=0&mimetype=plaintext&" +
		strings.Repeat("x", 80)
	lists := []status.List{
		{ID: 1, Name: "Polaris tracker list", Enabled: true, Rules: 98, LastSuccess: testNow, Interval: 24 * time.Hour,
			License: "CC0-1.0 (Polaris's own list, compiled from public tracker documentation)"},
		{ID: 2, Name: "Peter Lowe's Blocklist — ad and tracking servers, hosts format", URL: long, Enabled: true,
			Rules: 3512, Errors: 12345, LastSuccess: testNow.Add(-49 * time.Hour), Interval: 7 * 24 * time.Hour,
			License: "Peter Lowe's terms (https://pgl.yoyo.org/adservers/policy.php)", NonCommercial: true,
			LastError: "the server answered 503 Service Unavailable: " + long},
	}
	decisions := []status.Decision{{Time: testNow, URL: long + "/pixel.gif?" + strings.Repeat("id=1234567890&", 12),
		Host: "pgl.yoyo.org", Site: "a-very-long-news-site-name.example.co.uk", Verdict: status.Blocked,
		Rule: "||pgl.yoyo.org^$third-party,domain=~a-very-long-news-site-name.example.co.uk|~another.example", List: "EasyPrivacy",
		Category: "analytics"}}
	snap := running()
	snap.Blocking.Lists = lists
	snap.Blocking.LogSeq = 1
	snap.HTTPS.PassThrough = []string{"a-very-long-host-name-that-pins-its-certificate.example.co.uk"}
	cases := []string{"overview", "signals", "blocking", "blocking/lists", "blocking/allowed", "blocking/rules",
		"blocking/activity", "https", "tor", "system"}
	for _, screen := range cases {
		t.Run(strings.ReplaceAll(screen, "/", "-"), func(t *testing.T) {
			f := newFake(t)
			f.recent = func(int) []status.Decision { return decisions }
			f.siteAnswers = func() ([]status.SiteAnswer, error) {
				return []status.SiteAnswer{{Site: "a-very-long-news-site-name.example.co.uk", Tk: "N", HonorsDNT: true, Checked: testNow}}, nil
			}
			f.inventory = func() (status.Inventory, error) {
				return status.Inventory{Dir: "/home/someone-with-a-long-name/.config/polaris",
					Files: []status.FileInfo{{Path: "lists/2-peter-lowes-blocklist-ad-and-tracking-servers.txt", Bytes: 123456, What: "a downloaded list"}}}, nil
			}
			f.validateRule = func(string) error { return nil }
			set := f.Settings()
			set.Blocking.CustomRules = "||" + strings.Repeat("tracker-", 20) + "example^$third-party"
			set.Blocking.Allowlist = []string{"a-very-long-news-site-name.example.co.uk"}
			f.set = set
			h := newHarness(t, f, screen)
			h.snapshot(snap)
			if w := h.u.win.Content().MinSize().Width; w > maxContentWidth {
				t.Errorf("the %s screen needs %.0f pixels of width, more than %d: its right side is cut off", screen, w, maxContentWidth)
				for _, o := range h.objects() {
					if o.MinSize().Width > 250 {
						if text := objectText(o); text != "" {
							t.Logf("%.0f px: %T %q", o.MinSize().Width, o, text)
						}
					}
				}
			}
		})
	}
}

// objectText is the text a leaf widget shows, or "".
func objectText(o fyne.CanvasObject) string {
	switch w := o.(type) {
	case *widget.Label:
		return w.Text
	case *widget.RichText:
		return w.String()
	case *widget.Button:
		return w.Text
	case *button:
		return w.Text
	case *widget.Entry:
		return w.Text
	case *entry:
		return w.Text
	case *widget.Check:
		return w.Text
	case *checkBox:
		return w.Text
	case *radioChoice:
		return w.label()
	case *canvas.Text:
		return w.Text
	}
	return ""
}

// TestWindowFitsASmallScreen: on a 1024×600 screen the window opens within
// it (room left for the desktop's panels and the title bar), and every
// screen and tab can be shown that small: nothing needs more height or
// width than the window has, pages scroll instead.
func TestWindowFitsASmallScreen(t *testing.T) {
	sys := fstest.MapFS{
		"card0-eDP-1/status":     {Data: []byte("connected\n")},
		"card0-eDP-1/modes":      {Data: []byte("1024x600\n800x600\n640x480\n")},
		"card0-HDMI-A-1/status":  {Data: []byte("disconnected\n")},
		"card0-HDMI-A-1/modes":   {Data: []byte("")},
		"card1-DP-2/status":      {Data: []byte("connected\n")},
		"card1-DP-2/modes":       {Data: []byte("1920x1080\n")},
		"card0-Virtual-1/status": {Data: []byte("connected\n")},
		"card0-Virtual-1/modes":  {Data: []byte("garbage\n")},
	}
	screen := smallestMode(sys)
	if screen != fyne.NewSize(1024, 600) {
		t.Fatalf("smallest screen %v, want 1024×600", screen)
	}
	size := fitWindow(screen)
	if size.Width > 1024-24 || size.Height > 600-80 {
		t.Errorf("on 1024×600 the window opens at %v: it does not leave room for panels and the title bar", size)
	}
	if got := fitWindow(fyne.Size{}); got != defaultSize {
		t.Errorf("unknown screen: %v, want the default %v", got, defaultSize)
	}
	if got := fitWindow(fyne.NewSize(1920, 1080)); got != defaultSize {
		t.Errorf("a large screen: %v, want the default %v", got, defaultSize)
	}
	for _, screen := range []string{"overview", "signals", "blocking", "blocking/lists", "blocking/allowed", "blocking/rules",
		"blocking/activity", "https", "tor", "system"} {
		f := newFake(t)
		f.recent = func(int) []status.Decision { return nil }
		f.siteAnswers = func() ([]status.SiteAnswer, error) { return nil, nil }
		f.inventory = func() (status.Inventory, error) { return status.Inventory{}, nil }
		f.validateRule = func(string) error { return nil }
		h := newHarness(t, f, screen)
		h.u.win.Resize(size)
		snap := running()
		snap.Notices = []status.Notice{{Time: testNow, Severity: status.Warning, Text: "A message in the banner."}}
		h.snapshot(snap)
		if min := h.u.win.Content().MinSize(); min.Height > size.Height || min.Width > size.Width {
			t.Errorf("%s needs %v, more than the window's %v", screen, min, size)
		}
	}
}

// TestBannerDoesNotMoveThePage: a message that comes or goes floats over
// the page; what is under the pointer stays where it is.
func TestBannerDoesNotMoveThePage(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, "overview")
	h.snapshot(running())
	toggle := h.u.overview.toggle
	drv := fyne.CurrentApp().Driver()
	before := drv.AbsolutePositionForObject(toggle)
	h.u.inform("Proxy address copied")
	h.settle()
	if h.u.banner.Text() == "" {
		t.Fatal("no banner")
	}
	if after := drv.AbsolutePositionForObject(toggle); after != before {
		t.Errorf("the banner moved the page: the switch went from %v to %v", before, after)
	}
	h.tap("") // dismiss
	if after := drv.AbsolutePositionForObject(toggle); after != before {
		t.Errorf("dismissing the banner moved the page: %v to %v", before, after)
	}
}
