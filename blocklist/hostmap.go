// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import "strings"

// hostMap maps domains to values (tracker entries, owners, CNAME targets)
// and answers "which of this host's domain suffixes is in the map" from the
// suffix hashes a Request already holds: no string hashing on the hot path,
// a bitmap in front of the table, and a string compare to confirm a hit.
type hostMap struct {
	tab  table
	bits []uint64
	mask uint32
	doms []string
	vals []int32
}

func newHostMap(m map[string]int32) hostMap {
	var h hostMap
	if len(m) == 0 {
		return h
	}
	pairs := make([]pair, 0, len(m))
	for _, d := range sortedKeys(m) {
		pairs = append(pairs, pair{hostHash(d), uint32(len(h.doms))})
		h.doms = append(h.doms, d)
		h.vals = append(h.vals, m[d])
	}
	h.tab = buildTable(pairs)
	h.bits, h.mask = keyBits(&h.tab, 1<<20)
	return h
}

// longest returns the value of the longest domain suffix of host in the
// map. hashes and pos are host's suffix hashes, shortest first, and where
// each suffix starts, counting from base.
func (h *hostMap) longest(host string, hashes []uint64, pos []int32, base int32) (int32, bool) {
	if len(h.doms) == 0 {
		return 0, false
	}
	for i := len(hashes) - 1; i >= 0; i-- {
		if v, ok := h.get(host[pos[i]-base:], hashes[i]); ok {
			return v, true
		}
	}
	return 0, false
}

// get returns the value of domain, whose hostHash is k.
func (h *hostMap) get(domain string, k uint64) (int32, bool) {
	if len(h.doms) == 0 || !hasKey(h.bits, h.mask, k) {
		return 0, false
	}
	for _, i := range h.tab.get(k) {
		if h.doms[i] == domain {
			return h.vals[i], true
		}
	}
	return 0, false
}

// longestOf is longest for a host without precomputed hashes.
func (h *hostMap) longestOf(host string) (int32, bool) {
	if len(h.doms) == 0 {
		return 0, false
	}
	for s := host; s != ""; {
		if v, ok := h.get(s, hostHash(s)); ok {
			return v, true
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	return 0, false
}

func (h *hostMap) bytes() int64 {
	n := h.tab.bytes() + int64(len(h.bits))*8 + int64(len(h.vals))*4
	for _, d := range h.doms {
		n += int64(len(d)) + 16
	}
	return n
}
