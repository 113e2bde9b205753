// SPDX-License-Identifier: GPL-3.0-or-later

package resolver

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"
)

// cache keeps answers per host name until their TTL ends, at most max of
// them: past that the least recently used goes. An expired entry stays
// until it is replaced or evicted, so a chain can serve stale (see
// Resolver.CNAMEs).
type cache struct {
	mu  sync.Mutex
	max int
	m   map[string]*list.Element // host -> element holding *entry
	lru list.List                // front: most recently used

	hits, misses atomic.Uint64
}

type entry struct {
	host    string
	ans     Answer
	err     error // a negative answer ("no such host")
	expires time.Time
}

func newCache(max int) *cache {
	return &cache{max: max, m: make(map[string]*list.Element, min(max, 1024))}
}

// get returns host's entry, if any, and whether it is still fresh at now.
func (c *cache) get(host string, now time.Time) (*entry, bool) {
	c.mu.Lock()
	el, ok := c.m[host]
	if !ok {
		c.mu.Unlock()
		c.misses.Add(1)
		return nil, false
	}
	c.lru.MoveToFront(el)
	e := el.Value.(*entry)
	c.mu.Unlock()
	fresh := now.Before(e.expires)
	if fresh {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return e, fresh
}

// put stores an answer (or a negative one, err) for ttl from now. Entries
// are never changed once stored: readers hold them without the lock.
func (c *cache) put(host string, ans Answer, err error, ttl time.Duration, now time.Time) {
	e := &entry{host: host, ans: ans, err: err, expires: now.Add(ttl)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[host]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.m[host] = c.lru.PushFront(e)
	for c.lru.Len() > c.max {
		old := c.lru.Remove(c.lru.Back()).(*entry)
		delete(c.m, old.host)
	}
}

// len returns the number of entries.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
