// SPDX-License-Identifier: GPL-3.0-or-later

package app

import (
	"context"
	"sync"
	"time"

	"polaris/internal/status"
)

// Snapshot returns the current state of everything.
func (a *App) Snapshot() status.Snapshot {
	s := a.Settings()
	snap := status.Snapshot{Time: time.Now(), Notices: a.Notices()}
	if p := a.currentProxy(); p != nil {
		snap.Proxy = p.Status()
	}
	a.blockingStatus(&snap.Blocking, s, snap.Time)
	snap.HTTPS.Filter = s.HTTPS.Filter
	a.httpsSnapshot(&snap.HTTPS)
	snap.Tor = a.torStatus()
	snap.Tor.Enabled = s.Tor.Enabled
	snap.Onions = a.onionSites()
	snap.WebRTC = a.webrtcStatus()
	snap.Snowflake = a.snowflakeStatus(s)
	snap.DNS = a.dnsStatus(s)
	a.mu.Lock()
	snap.Data = status.Data{Dir: a.opts.DataDir, Degraded: a.degraded}
	a.mu.Unlock()
	a.sys.statusMu.Lock()
	snap.System = a.sys.status
	a.sys.statusMu.Unlock()
	if snap.Proxy.Listen != "" {
		snap.System.PACURL = pacURL(snap.Proxy.Listen)
	}
	snap.System.Autostart = s.System.Autostart
	return snap
}

// Subscribe returns a channel that receives a snapshot now and after every
// change, until ctx ends. A slow receiver misses intermediate snapshots but
// always gets the latest.
func (a *App) Subscribe(ctx context.Context) <-chan status.Snapshot {
	out := make(chan status.Snapshot, 1)
	wake := a.hub.add()
	go func() {
		defer close(out)
		defer a.hub.remove(wake)
		for {
			snap := a.Snapshot()
			select {
			case <-out: // drop the stale one
			default:
			}
			out <- snap
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
		}
	}()
	return out
}

// hub wakes subscribers when something changed.
type hub struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

func (h *hub) add() chan struct{} {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan struct{}]struct{}{}
	}
	h.subs[c] = struct{}{}
	h.mu.Unlock()
	return c
}

func (h *hub) remove(c chan struct{}) {
	h.mu.Lock()
	delete(h.subs, c)
	h.mu.Unlock()
}

// poke tells every subscriber to refresh; it never blocks.
func (h *hub) poke() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}
