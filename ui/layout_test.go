// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"strings"

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
	case *widget.Entry:
		return w.Text
	case *widget.Check:
		return w.Text
	case *canvas.Text:
		return w.Text
	}
	return ""
}
