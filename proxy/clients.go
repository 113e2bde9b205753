// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"polaris/internal/status"
)

// What the window tells the user about the proxy's reach: which browsers
// sent requests through it (by User-Agent family and major version, never
// by address or site), and how many requests of the last day carried the
// user's privacy signals. Both cost one map lookup or two atomic adds per
// request.

// maxClientKinds bounds the User-Agent strings remembered: a program that
// sends a new User-Agent with every request cannot grow the table.
const maxClientKinds = 64

// clientSeen remembers, per User-Agent string, its family and version and
// when it was last seen (Unix seconds).
type clientSeen struct {
	m sync.Map // User-Agent string -> *clientEntry
	n atomic.Int32
}

type clientEntry struct {
	family  status.Family
	version string
	last    atomic.Int64
}

// saw records a request with User-Agent ua at now.
func (c *clientSeen) saw(ua string, now time.Time) {
	if v, ok := c.m.Load(ua); ok {
		v.(*clientEntry).last.Store(now.Unix())
		return
	}
	if c.n.Load() >= maxClientKinds {
		return
	}
	f, ver := status.ClientOf(ua)
	e := &clientEntry{family: f, version: ver}
	e.last.Store(now.Unix())
	if _, loaded := c.m.LoadOrStore(ua, e); !loaded {
		c.n.Add(1)
	}
}

// list returns one entry per family and version, newest first.
func (c *clientSeen) list() []status.Client {
	byKind := map[status.Client]int64{}
	c.m.Range(func(_, v any) bool {
		e := v.(*clientEntry)
		k := status.Client{Family: e.family, Version: e.version}
		if l := e.last.Load(); l > byKind[k] {
			byKind[k] = l
		}
		return true
	})
	out := make([]status.Client, 0, len(byKind))
	for k, l := range byKind {
		k.LastSeen = time.Unix(l, 0)
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastSeen.Equal(out[j].LastSeen) {
			return out[i].LastSeen.After(out[j].LastSeen)
		}
		if out[i].Family != out[j].Family {
			return out[i].Family < out[j].Family
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// reachHours is the window of the signal reach figure.
const reachHours = 24

// reachCounter counts requests and those that carried the user's signals,
// per hour, over the last reachHours hours.
type reachCounter struct {
	buckets [reachHours]reachBucket
}

type reachBucket struct {
	hour      atomic.Int64 // hours since the Unix epoch this bucket counts
	mu        sync.Mutex   // taken only to start a new hour
	total     atomic.Uint64
	signalled atomic.Uint64
}

// add counts one request at now.
func (r *reachCounter) add(signalled bool, now time.Time) {
	h := now.Unix() / 3600
	b := &r.buckets[h%reachHours]
	if b.hour.Load() != h {
		b.mu.Lock()
		if b.hour.Load() != h {
			b.total.Store(0)
			b.signalled.Store(0)
			b.hour.Store(h)
		}
		b.mu.Unlock()
	}
	b.total.Add(1)
	if signalled {
		b.signalled.Add(1)
	}
}

// sum returns the counts of the last reachHours hours up to now.
func (r *reachCounter) sum(now time.Time) status.Reach {
	h := now.Unix() / 3600
	var out status.Reach
	for i := range r.buckets {
		b := &r.buckets[i]
		if bh := b.hour.Load(); bh > h-reachHours && bh <= h {
			out.Requests += b.total.Load()
			out.Signalled += b.signalled.Load()
		}
	}
	return out
}
