// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"crypto/tls"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// leafCache is a bounded LRU of issued leaves with single flight: concurrent
// first requests for one host wait for a single issuance. Failed issuances
// are not cached.
type leafCache struct {
	mu         sync.Mutex
	max        int
	m          map[string]*leafEntry
	head, tail *leafEntry // head is the most recently used

	issued atomic.Int64 // issuances started, for tests and stats
}

// leafEntry is one host's leaf. The result fields are written once, before
// done is closed, and only read after it is closed.
type leafEntry struct {
	key  string
	done chan struct{}

	cert      *tls.Certificate
	cfg       *tls.Config
	refreshAt time.Time
	err       error

	prev, next *leafEntry
}

// leafResult is what an issuance produces.
type leafResult struct {
	cert      *tls.Certificate
	cfg       *tls.Config
	refreshAt time.Time
}

func newLeafCache(max int) *leafCache {
	return &leafCache{max: max, m: make(map[string]*leafEntry, min(max, 1024))}
}

// get returns the entry for key, issuing it with issue when absent or due
// for refresh at now. Only one issue call runs per key at a time.
func (lc *leafCache) get(key string, now time.Time, issue func() (leafResult, error)) (*leafEntry, error) {
	lc.mu.Lock()
	if e := lc.m[key]; e != nil {
		select {
		case <-e.done:
			if now.Before(e.refreshAt) {
				lc.toFront(e)
				lc.mu.Unlock()
				return e, nil
			}
			lc.remove(e) // due for refresh: issue a new one below
		default:
			lc.mu.Unlock()
			<-e.done
			return e, e.err
		}
	}
	e := &leafEntry{key: key, done: make(chan struct{})}
	lc.m[key] = e
	lc.pushFront(e)
	for len(lc.m) > lc.max {
		lc.remove(lc.tail)
	}
	lc.mu.Unlock()

	lc.issued.Add(1)
	r, err := safeIssue(issue)
	e.cert, e.cfg, e.refreshAt, e.err = r.cert, r.cfg, r.refreshAt, err
	if err != nil {
		lc.mu.Lock()
		if lc.m[key] == e {
			lc.remove(e)
		}
		lc.mu.Unlock()
	}
	close(e.done)
	return e, err
}

// safeIssue turns a panic in issue into an error so that waiters are
// always released.
func safeIssue(issue func() (leafResult, error)) (r leafResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("issuing leaf certificate: panic: %v", p)
		}
	}()
	return issue()
}

// len returns the number of cached entries.
func (lc *leafCache) len() int {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return len(lc.m)
}

func (lc *leafCache) pushFront(e *leafEntry) {
	e.prev, e.next = nil, lc.head
	if lc.head != nil {
		lc.head.prev = e
	}
	lc.head = e
	if lc.tail == nil {
		lc.tail = e
	}
}

func (lc *leafCache) unlink(e *leafEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		lc.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		lc.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (lc *leafCache) toFront(e *leafEntry) {
	if lc.head == e {
		return
	}
	lc.unlink(e)
	lc.pushFront(e)
}

// remove drops e from the cache; goroutines already holding it keep it.
func (lc *leafCache) remove(e *leafEntry) {
	lc.unlink(e)
	delete(lc.m, e.key)
}
