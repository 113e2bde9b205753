// SPDX-License-Identifier: GPL-3.0-or-later

package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"polaris/internal/status"
)

// The Overview's list of the browsers seen in Polaris's traffic (issue 16
// item 3): per browser family and version, when it was last seen, whether
// its secure pages are filtered and why not, what the check page found in
// it, and a one-click fix where there is one.

// maxClientRows bounds the list (the snapshot has the most recent first).
const maxClientRows = 8

// clientRow is what the window says about one client.
type clientRow struct {
	name, seen, https, check string
	// fix is the button's text ("" for none); act what it does.
	fix string
	act func()
}

// clientsList is the list's widgets; it is rebuilt only when its words
// change, so an idle window does no layout work.
type clientsList struct {
	u    *UI
	box  *fyne.Container
	key  string
	rows []clientRow // shown now (tests)
}

func newClientsList(u *UI) *clientsList {
	return &clientsList{u: u, box: container.NewVBox()}
}

// update shows the clients of the snapshot.
func (l *clientsList) update(snap status.Snapshot, filterOn bool, now time.Time) {
	var rows []clientRow
	var key strings.Builder
	for i, c := range snap.Proxy.Clients {
		if i == maxClientRows {
			break
		}
		r := l.row(c, filterOn, now)
		rows = append(rows, r)
		key.WriteString(r.name + "\x00" + r.seen + "\x00" + r.https + "\x00" + r.check + "\x00" + r.fix + "\x01")
	}
	l.rows = rows
	if key.String() == l.key {
		return
	}
	l.key = key.String()
	objs := make([]fyne.CanvasObject, 0, len(rows))
	for _, r := range rows {
		name := widget.NewLabel(r.name)
		name.TextStyle.Bold = true
		lines := container.NewVBox(container.NewHBox(name, note(r.seen)), wrapped(r.https))
		if r.check != "" {
			lines.Add(note(r.check))
		}
		var action fyne.CanvasObject
		if r.fix != "" {
			action = container.NewCenter(newButton(r.fix, r.act))
		}
		objs = append(objs, container.NewBorder(nil, nil, nil, action, lines))
	}
	l.box.Objects = objs
	l.box.Refresh()
}

// row says one client in words, with its fix.
func (l *clientsList) row(c status.Client, filterOn bool, now time.Time) clientRow {
	browser := c.Family != status.OtherClient && c.Family != ""
	r := clientRow{name: c.Words(), seen: lang.L("last seen {{.When}}", map[string]any{"When": ago(now, c.LastSeen)})}
	switch {
	case c.Trust == status.TrustNo:
		r.https = lang.L("Not filtered: does not trust Polaris's certificate.")
		if browser {
			r.fix, r.act = lang.L("Install the certificate for this browser"), l.installCA
		}
	case !filterOn:
		r.https = lang.L("Not filtered: filtering of secure pages is off.")
		if browser {
			r.fix, r.act = lang.L("Filter secure pages…"), func() { l.u.showSetup() }
		}
	case c.LastHTTPS.IsZero():
		r.https = lang.L("No secure page seen yet.")
	case c.Trust == status.TrustYes || c.Filtered:
		r.https = lang.L("Filtered.")
		if n := len(c.Pinned); n > 0 {
			r.https += " " + lang.N("Pinned on {{.Count}} sites, which pass through untouched.", n, map[string]any{"Count": n})
		}
	default:
		r.https = lang.L("Not filtered: its last secure page passed through untouched.")
	}
	if k := c.Check; k != nil {
		cert := lang.L("it does not show that it trusts Polaris's certificate")
		if k.Secure {
			cert = lang.L("it trusts Polaris's certificate")
		}
		rtc := lang.L("WebRTC is off or could not be checked")
		switch k.WebRTC {
		case "hidden":
			rtc = lang.L("WebRTC does not reveal this computer's addresses")
		case "exposed":
			rtc = lang.L("WebRTC reveals this computer's addresses to pages")
		}
		r.check = lang.L("Check page {{.When}}: {{.Cert}}; {{.WebRTC}}.", map[string]any{"When": ago(now, k.Time), "Cert": cert, "WebRTC": rtc})
	} else if browser {
		r.check = lang.L("Not checked yet: open http://polaris.invalid/check in this browser to check it.")
	}
	return r
}

// installCA adds the certificate to the browsers' own stores; the running
// proxy then tries each browser again on its next secure page.
func (l *clientsList) installCA() {
	u := l.u
	u.bg(func() func() {
		ctx, cancel := u.ctxFor(longCall)
		defer cancel()
		_, err := u.c.InstallCAInBrowsers(ctx)
		return func() {
			if err != nil {
				u.fail(err)
				return
			}
			u.inform(lang.L("Certificate installed in the browsers. Polaris tries them again on their next secure page; restart a browser that is open if it still refuses."))
		}
	})
}
