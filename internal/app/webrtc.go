// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"strings"
	"sync"

	"polaris/internal/status"
	"polaris/internal/store"
	"polaris/internal/sysproxy"
)

// WebRTC: while Tor is on (or with tor.webrtc-always), the browsers'
// profiles keep WebRTC behind the proxy (internal/sysproxy's WebRTC part);
// turned off, on quit and at the start after a crash, they are restored.

type webrtcState struct {
	mu sync.Mutex // serialises changes
	on bool       // SetWebRTC ran and nothing was restored since

	statusMu sync.Mutex
	status   status.WebRTC
}

func (a *App) webrtcConfig() (sysproxy.WebRTCConfig, bool) {
	a.mu.Lock()
	st := a.st
	a.mu.Unlock()
	if st == nil {
		return sysproxy.WebRTCConfig{}, false
	}
	return sysproxy.WebRTCConfig{Journal: store.BrowserJournal{S: st}}, true
}

// recoverWebRTC restores browser settings left changed by a Polaris that
// did not stop cleanly.
func (a *App) recoverWebRTC(ctx context.Context) {
	cfg, ok := a.webrtcConfig()
	if !ok {
		return
	}
	a.webrtc.mu.Lock()
	defer a.webrtc.mu.Unlock()
	notes, restored, err := sysproxy.RestoreWebRTC(ctx, cfg)
	switch {
	case err != nil:
		a.noticef(status.Error, "Polaris stopped last time without putting back your browsers' WebRTC settings, and putting them back failed: %v", err)
	case restored:
		a.noticef(status.Warning, "Polaris stopped last time without putting back your browsers' WebRTC settings; they are put back now.")
	}
	for _, n := range notes {
		a.noticef(status.Info, "%s", n)
	}
}

// syncWebRTC makes the browsers' WebRTC settings match the settings
// (running false: Polaris is stopping, restore).
func (a *App) syncWebRTC(ctx context.Context, running bool) {
	s := a.Settings()
	want := running && (s.Tor.Enabled || s.Tor.WebRTCAlways) && !a.deleting.Load()
	cfg, ok := a.webrtcConfig()
	a.webrtc.mu.Lock()
	defer a.webrtc.mu.Unlock()
	var st status.WebRTC
	switch {
	case !ok:
		if want {
			st.Err = "the database is not available, so Polaris cannot save your browsers' settings before changing them; it leaves them alone"
		}
	case want:
		rep, err := sysproxy.SetWebRTC(ctx, cfg)
		a.webrtc.on = true
		st = status.WebRTC{On: true, Changed: rep.Changed, NotChanged: rep.NotChanged, Restart: rep.Restart}
		if err != nil {
			st.Err = err.Error()
		}
	default:
		// Also after an earlier restore that left an open Chromium for
		// later: an empty journal costs one database read.
		notes, _, err := sysproxy.RestoreWebRTC(ctx, cfg)
		a.webrtc.on = false
		if err != nil {
			st.Err = err.Error()
			a.noticef(status.Error, "Putting back your browsers' WebRTC settings failed: %v", err)
		}
		for _, n := range notes {
			a.noticef(status.Info, "%s", n)
		}
		if len(notes) > 0 {
			st.NotChanged = notes
		}
	}
	a.webrtc.statusMu.Lock()
	changed := !webrtcEqual(a.webrtc.status, st)
	a.webrtc.status = st
	a.webrtc.statusMu.Unlock()
	if changed {
		a.hub.poke()
	}
}

func (a *App) webrtcStatus() status.WebRTC {
	a.webrtc.statusMu.Lock()
	defer a.webrtc.statusMu.Unlock()
	return a.webrtc.status
}

func webrtcEqual(x, y status.WebRTC) bool {
	j := func(v []string) string { return strings.Join(v, "\x00") }
	return x.On == y.On && x.Err == y.Err && j(x.Changed) == j(y.Changed) && j(x.NotChanged) == j(y.NotChanged) && j(x.Restart) == j(y.Restart)
}
