// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"slices"
)

// table maps 64-bit keys (hashes, never 0) to runs of filter ids with open
// addressing: one multiply and usually one probe per lookup.
type table struct {
	shift uint8
	keys  []uint64
	spans []uint64 // start<<32 | count, into ids
	ids   []uint32
}

type pair struct {
	key uint64
	id  uint32
}

func buildTable(pairs []pair) table {
	if len(pairs) == 0 {
		return table{}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return int(a.id) - int(b.id)
	})
	groups := 0
	for i := range pairs {
		if i == 0 || pairs[i].key != pairs[i-1].key {
			groups++
		}
	}
	size, bits := 8, uint8(3)
	for size*3 < groups*4 { // load factor at most 3/4
		size <<= 1
		bits++
	}
	t := table{shift: 64 - bits, keys: make([]uint64, size), spans: make([]uint64, size), ids: make([]uint32, 0, len(pairs))}
	for i := 0; i < len(pairs); {
		j := i
		for j < len(pairs) && pairs[j].key == pairs[i].key {
			j++
		}
		start := len(t.ids)
		for k := i; k < j; k++ {
			if k == i || pairs[k].id != pairs[k-1].id {
				t.ids = append(t.ids, pairs[k].id)
			}
		}
		slot := t.slot(pairs[i].key)
		t.keys[slot] = pairs[i].key
		t.spans[slot] = uint64(start)<<32 | uint64(len(t.ids)-start)
		i = j
	}
	return t
}

func (t *table) slot(k uint64) uint64 {
	i := (k * 0x9E3779B97F4A7C15) >> t.shift
	mask := uint64(len(t.keys) - 1)
	for t.keys[i] != 0 && t.keys[i] != k {
		i = (i + 1) & mask
	}
	return i
}

// get returns the ids stored under k.
func (t *table) get(k uint64) []uint32 {
	if len(t.keys) == 0 {
		return nil
	}
	mask := uint64(len(t.keys) - 1)
	for i := (k * 0x9E3779B97F4A7C15) >> t.shift; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			sp := t.spans[i]
			return t.ids[sp>>32 : sp>>32+sp&0xffffffff]
		case 0:
			return nil
		}
	}
}

func (t *table) bytes() int64 {
	return int64(len(t.keys))*16 + int64(cap(t.ids))*4
}

// index finds the candidate rules of one kind (blocking, exception...) for
// a request: by the requested host's domain suffixes for "||host^..." rules,
// by a token of the URL for most others, by the source site for rules with
// only a $domain= to go by, and a short list of rules checked every time.
type index struct {
	hosts    table
	hostBits []uint64 // a bit per host hash, to skip most lookups of absent hosts
	hostMask uint32
	tokens   table
	tokBits  []uint64 // a bit per token hash, to skip most lookups of absent tokens
	tokMask  uint32
	sites    table
	generic  []uint32
	size     int
	// needTokens: some rule needs the URL's tokens or bigrams (anything
	// but a plain "||host^" rule).
	needTokens bool
	// always: the rules apply whatever their category (exceptions and
	// redirect directives: switching a category off must not make other
	// lists block more).
	always bool
}

// keyBits builds a bitmap with a bit per key of t (about eight bits per
// key, at most max bits): a clear bit proves a key absent without touching
// the table, which is much larger and mostly out of the CPU caches.
func keyBits(t *table, max int) ([]uint64, uint32) {
	n := len(t.keys)
	if n == 0 {
		return nil, 0
	}
	nbits := 64
	for nbits < n*8 && nbits < max {
		nbits <<= 1
	}
	bits, mask := make([]uint64, nbits/64), uint32(nbits-1)
	for _, k := range t.keys {
		if k != 0 {
			b := uint32(k>>1) & mask
			bits[b>>6] |= 1 << (b & 63)
		}
	}
	return bits, mask
}

// hasKey reports whether k may be in the bitmap.
func hasKey(bits []uint64, mask uint32, k uint64) bool {
	b := uint32(k>>1) & mask
	return bits[b>>6]&(1<<(b&63)) != 0
}

// badTokens are so common in URLs that indexing a rule by them buys
// little; another token of the rule is preferred.
var badTokens = map[string]bool{
	"http": true, "https": true, "www": true, "com": true, "net": true, "org": true, "js": true,
	"html": true, "htm": true, "php": true, "css": true, "jpg": true, "png": true, "gif": true,
	"cdn": true, "static": true, "img": true, "images": true, "assets": true, "min": true,
	"api": true, "v1": true, "v2": true, "co": true, "uk": true, "de": true, "json": true,
	"media": true, "content": true, "s": true, "id": true, "ws": true, "wss": true,
}

// buildIndex indexes the given filters.
func buildIndex(filters []filter, ids []uint32) index {
	ix := index{size: len(ids)}
	cands := make([][]string, len(ids))
	freq := map[string]int{}
	for i, id := range ids {
		f := &filters[id]
		if f.flags&fHostSplit != 0 {
			continue
		}
		cands[i] = filterTokens(f)
		for _, t := range cands[i] {
			freq[t]++
		}
	}
	var hosts, tokens, sites []pair
	for i, id := range ids {
		f := &filters[id]
		if f.flags&fHostOnly == 0 {
			ix.needTokens = true
		}
		if f.flags&fHostSplit != 0 {
			if f.flags&fHostOnly == 0 {
				f.setBigrams("")
			}
			hosts = append(hosts, pair{hostHash(string(f.host())), id})
			continue
		}
		best, score := "", int(^uint(0)>>1)
		for _, t := range cands[i] {
			s := freq[t]
			if badTokens[t] || len(t) < 2 {
				s += 1 << 20
			}
			if s < score {
				best, score = t, s
			}
		}
		hasSites := f.opt != nil && len(f.opt.domIn) > 0
		switch {
		case best != "" && (score < 1<<20 || !hasSites):
			f.setBigrams(best)
			tokens = append(tokens, pair{uint64(tokenHash(best)), id})
		case hasSites:
			f.setBigrams("")
			for _, h := range f.opt.domIn {
				sites = append(sites, pair{h, id})
			}
		default:
			f.setBigrams("")
			ix.generic = append(ix.generic, id)
		}
	}
	ix.hosts, ix.tokens, ix.sites = buildTable(hosts), buildTable(tokens), buildTable(sites)
	ix.tokBits, ix.tokMask = keyBits(&ix.tokens, 1<<17)
	ix.hostBits, ix.hostMask = keyBits(&ix.hosts, 1<<21)
	return ix
}

// filterTokens returns the tokens a URL matching f must contain whole.
func filterTokens(f *filter) []string {
	if f.flags&fRegex != 0 {
		var out []string
		for _, run := range literalRuns(string(f.pat)) {
			out = append(out, innerTokens(run)...)
		}
		return out
	}
	p := lowerASCII(string(f.rest()))
	left := f.flags&(fAnchorStart|fAnchorHost) != 0
	right := f.flags&fAnchorEnd != 0
	var out []string
	for i := 0; i < len(p); {
		if !isTokenChar(p[i]) {
			i++
			continue
		}
		j := i
		for j < len(p) && isTokenChar(p[j]) {
			j++
		}
		okL := i > 0 && p[i-1] != '*' || i == 0 && left
		okR := j < len(p) && p[j] != '*' || j == len(p) && right
		if okL && okR {
			out = append(out, p[i:j])
		}
		i = j
	}
	return out
}

func (ix *index) bytes() int64 {
	return ix.hosts.bytes() + ix.tokens.bytes() + ix.sites.bytes() + int64(cap(ix.generic))*4 + int64(len(ix.tokBits)+len(ix.hostBits))*8
}
