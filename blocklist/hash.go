// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

// Hashes used by the indexes. Tokens (runs of [a-z0-9%]) hash with 32-bit
// FNV-1a; host names hash right to left with 64-bit FNV-1a, so that one pass
// over a host yields the hash of every domain suffix ("com", "example.com",
// "www.example.com") at the label boundaries.

const (
	fnvOffset32 = 2166136261
	fnvPrime32  = 16777619
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// isTokenChar reports whether c belongs to a token: a lower-case letter, a
// digit or '%' (URLs are lower-cased before tokenizing).
func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '%'
}

// tokenHash hashes a token; it never returns 0.
func tokenHash(s string) uint32 {
	h := uint32(fnvOffset32)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * fnvPrime32
	}
	return h | 1
}

// hostHash hashes a complete host name (or a "name.*" entity pattern) the
// way hostSuffixes does for its suffixes; it never returns 0.
func hostHash(s string) uint64 {
	h := uint64(fnvOffset64)
	for i := len(s) - 1; i >= 0; i-- {
		h = (h ^ uint64(s[i])) * fnvPrime64
	}
	return h | 1
}

// entitySeed is the running hash after ".*", the suffix an entity pattern
// such as "google.*" ends with.
var entitySeed = func() uint64 {
	h := uint64(fnvOffset64)
	h = (h ^ '*') * fnvPrime64
	return (h ^ '.') * fnvPrime64
}()

// appendSuffixHashes appends to dst the hash of every domain suffix of host
// (shortest first) and, to *pos if not nil, the offset where that suffix starts. seed is
// fnvOffset64 for plain hosts and entitySeed for entity patterns.
func appendSuffixHashes[S ~string | ~[]byte](dst []uint64, pos *[]int32, host S, seed uint64) []uint64 {
	h := seed
	for i := len(host) - 1; i >= 0; i-- {
		h = (h ^ uint64(host[i])) * fnvPrime64
		if i == 0 || host[i-1] == '.' {
			dst = append(dst, h|1)
			if pos != nil {
				*pos = append(*pos, int32(i))
			}
		}
	}
	return dst
}

// hashSet is an immutable set of hashes (domain options), sorted for
// binary search; small sets are scanned.
type hashSet []uint64

func (s hashSet) has(h uint64) bool {
	if len(s) <= 8 {
		for _, x := range s {
			if x == h {
				return true
			}
		}
		return false
	}
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m] < h {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(s) && s[lo] == h
}

// hasAny reports whether any of hs is in the set.
func (s hashSet) hasAny(hs []uint64) bool {
	for _, h := range hs {
		if s.has(h) {
			return true
		}
	}
	return false
}
