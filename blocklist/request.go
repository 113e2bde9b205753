// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"encoding/binary"
	"strings"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"
)

// Request is one request to decide: its URL, the URL of the page or frame
// it comes from (SourceURL, empty when unknown) and its type.
//
// The matcher parses a Request once and keeps the parsed form inside it, in
// buffers that are reused when the same Request is Reset for the next
// request: a proxy that keeps one Request per worker (or in a sync.Pool)
// decides without allocating once its hosts have been seen (see
// Matcher.Match). A Request is about 5 KB, so reuse it. A
// Request must not be used by two goroutines at once; a Matcher may be.
type Request struct {
	URL       string
	SourceURL string
	Type      ResourceType
	// Method is the HTTP method ("GET", "POST"); empty when unknown. Only
	// rules with a $method option look at it.
	Method string

	// Parsed form, valid while URL, SourceURL, Type and Method equal the
	// prepared* copies.
	prepURL, prepSource, prepMethod string
	prepHostOnly                    string
	prepType                        ResourceType
	ready                           bool

	norm               []byte // URL with lower-case scheme and host, no default port, no fragment
	lower              []byte // norm in lower case
	hostStart, hostEnd int
	pathStart          int    // where the path starts in norm, after any port
	scratch, scratch2  []byte // views of the URL built on demand
	hostOnly           string // set by ResetHost: the URL is https://hostOnly/

	host, domain       string // requested host and its registrable domain (eTLD+1)
	srcHost, srcDomain string // source host and its registrable domain
	srcSuffix          int    // length of the source host's public suffix
	method             methodBits

	hostHashes  []uint64 // hashes of the host's domain suffixes, shortest first
	hostPos     []int32  // where each suffix starts in lower
	srcHashes   []uint64 // same for the source host
	srcPos      []int32  // where each suffix starts in srcHost
	srcEntity   []uint64 // hashes of "name.*" entity forms of the source host
	tokens      []uint32 // hashes of the URL's distinct tokens
	page        *Request // the source page as a document request, for $document exceptions
	uncloaked   *Request // the request with its host replaced by its canonical name
	alias       string   // set on uncloaked: the host replacing URL's
	bigrams     [bigramWords]uint64
	tokensReady bool
	srcValid    bool   // the source fields describe prepSource
	gen         uint32 // generation of seen
	seen        [512]uint64
}

// NewRequest returns a prepared Request. typ may be TypeUnknown and
// sourceURL empty.
func NewRequest(url, sourceURL string, typ ResourceType) *Request {
	r := &Request{}
	r.Reset(url, sourceURL, typ)
	return r
}

// Reset makes r describe another request, reusing its buffers, and parses
// it. The method is cleared.
func (r *Request) Reset(url, sourceURL string, typ ResourceType) {
	r.URL, r.SourceURL, r.Type, r.Method = url, sourceURL, typ, ""
	r.hostOnly = ""
	r.prepare()
}

// ResetHost makes r the host-only request "https://host/" (no source, no
// type), reusing its buffers. See Matcher.MatchHost.
func (r *Request) ResetHost(host string) {
	r.URL, r.SourceURL, r.Type, r.Method = "", "", TypeUnknown, ""
	r.hostOnly = host
	r.prepare()
}

// uncloak returns r with its host replaced by target (a CNAME's canonical
// name), as a Request reused across calls.
func (r *Request) uncloak(target string) *Request {
	u := r.uncloaked
	if u == nil {
		u = &Request{}
		r.uncloaked = u
	}
	if !u.ready || u.alias != target || u.URL != r.URL || u.SourceURL != r.SourceURL || u.Type != r.Type || u.Method != r.Method {
		u.URL, u.SourceURL, u.Type, u.Method, u.hostOnly, u.alias = r.URL, r.SourceURL, r.Type, r.Method, "", target
		if r.hostOnly != "" {
			u.URL = "https://" + r.hostOnly + "/" // rare: a CNAME'd bare host
		}
		u.prepare()
	}
	return u
}

// Host returns the requested host name in lower case, without port.
func (r *Request) Host() string { r.ensure(); return r.host }

// SourceHost returns the host of SourceURL, or "" when there is none.
func (r *Request) SourceHost() string { r.ensure(); return r.srcHost }

// ThirdParty reports whether the request goes to another registrable domain
// than its source; false when the source is unknown. It does not consider
// owners (see Options.OwnerParties).
func (r *Request) ThirdParty() bool {
	r.ensure()
	return r.srcHost != "" && r.domain != r.srcDomain
}

func (r *Request) ensure() {
	if !r.ready || r.URL != r.prepURL || r.SourceURL != r.prepSource || r.Type != r.prepType || r.Method != r.prepMethod ||
		r.hostOnly != r.prepHostOnly || r.hostOnly != "" && r.URL != "" {
		if r.URL != "" {
			r.hostOnly = "" // the caller set URL after ResetHost
		}
		r.prepare()
	}
}

func (r *Request) prepare() {
	// The source fields depend on SourceURL only (and on the host for a
	// page load): requests of one page in a row reuse them.
	sameSource := r.ready && r.srcValid && r.SourceURL == r.prepSource && r.Type != TypeDocument && r.prepType != TypeDocument
	r.prepURL, r.prepSource, r.prepType, r.prepMethod = r.URL, r.SourceURL, r.Type, r.Method
	r.prepHostOnly = r.hostOnly
	r.ready = true
	r.normalize()
	r.hostPos = r.hostPos[:0]
	r.hostHashes = appendSuffixHashes(r.hostHashes[:0], &r.hostPos, r.lower[r.hostStart:r.hostEnd], fnvOffset64)
	for i := range r.hostPos {
		r.hostPos[i] += int32(r.hostStart)
	}
	r.domain = r.host
	if n := len(r.hostHashes); n > 0 && !isIP(r.host) {
		r.domain = registrableLen(r.host, publicSuffixLenHash(r.host, r.hostHashes[n-1]))
	}
	r.method = 0
	if r.Method != "" {
		r.method = parseMethod(r.Method)
	}
	if !sameSource {
		r.prepareSource()
	}
}

// prepareSource fills the fields derived from the source (the site).
func (r *Request) prepareSource() {
	r.srcValid = true
	r.srcHost = sourceHost(r.SourceURL)
	if r.Type == TypeDocument {
		r.srcHost = r.host // a page is its own site
	}
	r.srcPos = r.srcPos[:0]
	r.srcHashes = appendSuffixHashes(r.srcHashes[:0], &r.srcPos, r.srcHost, fnvOffset64)
	r.srcDomain, r.srcSuffix = r.srcHost, 0
	if n := len(r.srcHashes); n > 0 && !isIP(r.srcHost) {
		r.srcSuffix = publicSuffixLenHash(r.srcHost, r.srcHashes[n-1])
		r.srcDomain = registrableLen(r.srcHost, r.srcSuffix)
	}
	r.srcEntity = r.srcEntity[:0]
	if n := len(r.srcHost) - r.srcSuffix - 1; r.srcSuffix > 0 && n > 0 {
		r.srcEntity = appendSuffixHashes(r.srcEntity, nil, r.srcHost[:n], entitySeed)
	}
}

// normalize fills norm and lower and finds the host.
func (r *Request) normalize() {
	scheme, auth, rest := "https", r.hostOnly, "/"
	switch {
	case r.alias != "":
		scheme, _, rest = splitURL(r.URL)
		auth = r.alias
	case r.hostOnly == "":
		scheme, auth, rest = splitURL(r.URL)
	}
	host, port, upper, wide := parseAuthority(auth)
	if wide {
		host, upper = punycodeRequestHost(host, upper)
	}
	if isDefaultPort(scheme, port) {
		port = ""
	}
	r.norm = append(r.norm[:0], scheme...)
	lowerInPlace(r.norm)
	if scheme != "" {
		r.norm = append(r.norm, "://"...)
	}
	r.hostStart = len(r.norm)
	r.norm = append(r.norm, host...)
	lowerInPlace(r.norm[r.hostStart:])
	r.hostEnd = len(r.norm)
	if port != "" {
		r.norm = append(r.norm, ':')
		r.norm = append(r.norm, port...)
	}
	r.pathStart = len(r.norm)
	r.norm = append(r.norm, rest...)
	r.lower = append(r.lower[:0], r.norm...)
	lowerInPlace(r.lower[r.pathStart:])
	r.tokensReady = false
	// The host as a string: a piece of the caller's URL when it is already
	// in lower case, so that nothing is allocated.
	r.host = host
	if upper {
		r.host = string(r.lower[r.hostStart:r.hostEnd])
	}
}

// splitURL splits a URL, without its fragment, into scheme, authority and
// the rest (path and query).
func splitURL(u string) (scheme, auth, rest string) {
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	start := 0
	if i := schemeEnd(u); i > 0 {
		scheme = u[:i]
		start = i + 3
	} else if isOpaque(u) {
		return "", "", u // data:, about:, javascript: have no host
	}
	end := len(u)
	for i := start; i < len(u); i++ {
		if c := u[i]; c == '/' || c == '?' || c == '\\' {
			end = i
			break
		}
	}
	return scheme, u[start:end], u[end:]
}

// schemeEnd returns the index of "://" after a URL scheme, or -1.
func schemeEnd(u string) int {
	for i := 0; i < len(u) && i < 24; i++ {
		c := u[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':' && i > 0 && strings.HasPrefix(u[i:], "://"):
			return i
		default:
			return -1
		}
	}
	return -1
}

// isOpaque reports whether u starts with "scheme:" not followed by "//"
// (nor by a port number, as in "example.com:8080/").
func isOpaque(u string) bool {
	i := strings.IndexByte(u, ':')
	if i <= 0 || strings.ContainsAny(u[:i], "/?#") {
		return false
	}
	rest := u[i+1:]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	return n == 0 || n < len(rest) && rest[n] != '/' && rest[n] != '?'
}

func splitHostPort(auth string) (host, port string) {
	if strings.HasPrefix(auth, "[") {
		if i := strings.IndexByte(auth, ']'); i > 0 {
			host = auth[:i+1]
			if strings.HasPrefix(auth[i+1:], ":") {
				port = auth[i+2:]
			}
			return host, port
		}
		return auth, ""
	}
	if i := strings.LastIndexByte(auth, ':'); i >= 0 {
		return auth[:i], auth[i+1:]
	}
	return auth, ""
}

func isDefaultPort(scheme, port string) bool {
	switch port {
	case "80":
		return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "ws")
	case "443":
		return strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "wss")
	}
	return false
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// sourceHost extracts the lower-case host of a source URL.
func sourceHost(u string) string {
	i := schemeEnd(u)
	if i <= 0 {
		return ""
	}
	u = u[i+3:]
	for j := 0; j < len(u); j++ {
		if c := u[j]; c == '/' || c == '?' || c == '#' || c == '\\' {
			u = u[:j]
			break
		}
	}
	h, _, upper, wide := parseAuthority(u)
	if wide {
		h, upper = punycodeRequestHost(h, upper)
	}
	if upper {
		return strings.ToLower(h)
	}
	return h
}

// parseAuthority splits "user@host:port" in one pass, drops a trailing dot
// from the host and reports whether the host has upper-case letters and
// whether it has non-ASCII bytes (wide).
func parseAuthority(auth string) (host, port string, upper, wide bool) {
	start, colon := 0, -1
	for i := 0; i < len(auth); i++ {
		switch c := auth[i]; {
		case c == '@':
			start, colon, upper, wide = i+1, -1, false, false
		case c == ':':
			colon = i
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 0x80:
			wide = true
		}
	}
	auth = auth[start:]
	if colon >= 0 {
		colon -= start
	}
	switch {
	case strings.HasPrefix(auth, "["):
		host, port = splitHostPort(auth)
	case colon >= 0:
		host, port = auth[:colon], auth[colon+1:]
	default:
		host = auth
	}
	return strings.TrimSuffix(host, "."), port, upper, wide
}

// punycodeRequestHost converts a requested host with non-ASCII letters to
// the ASCII form rules are written in (it allocates; ASCII hosts never come
// here). A name IDNA rejects is kept as it is, and matches no host rule.
func punycodeRequestHost(host string, upper bool) (string, bool) {
	a, err := punycode(strings.ToLower(host))
	if err != nil {
		return host, upper
	}
	return a, false
}

// isIP reports whether host is an IPv4 address or a bracketed IPv6 one.
func isIP(host string) bool {
	if host == "" {
		return false
	}
	if host[0] == '[' {
		return true
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// registrable returns the registrable domain (eTLD+1) of a lower-case host,
// using the public suffix list with its private section, as uBlock Origin
// does. An IP address, a public suffix or a single label is its own domain.
func registrable(host string) string {
	if host == "" || isIP(host) {
		return host
	}
	return registrableLen(host, publicSuffixLen(host))
}

// registrableLen is registrable given the length of host's public suffix.
func registrableLen(host string, n int) string {
	if n >= len(host) || host[len(host)-n-1] != '.' {
		return host
	}
	rest := host[:len(host)-n-1]
	return host[strings.LastIndexByte(rest, '.')+1:]
}

// psEntry caches the public suffix length of one host.
type psEntry struct {
	host   string
	suffix int
}

// psCache is a lock-free, fixed-size, two-way cache of public suffix
// lengths by host. publicsuffix.PublicSuffix allocates on every call (it
// first tries the name as an IP address and boxes the error), so the
// matcher asks it once per host; the cache keeps the hot path free of
// allocations and bounds the memory held (16,384 entries). A host not in
// the cache costs three allocations (that call, the entry and the copy of
// the host name it keeps); TestMatchNewHostAllocs holds it to that.
var psCache [1 << 14]atomic.Pointer[psEntry]

func publicSuffixLen(host string) int {
	return publicSuffixLenHash(host, hostHash(host))
}

// publicSuffixLenHash is publicSuffixLen given hostHash(host).
func publicSuffixLenHash(host string, hh uint64) int {
	h := hh * 0x9E3779B97F4A7C15
	i := h >> (64 - 14)
	j := i ^ 1
	if e := psCache[i].Load(); e != nil && e.host == host {
		return e.suffix
	}
	if e := psCache[j].Load(); e != nil && e.host == host {
		return e.suffix
	}
	ps, _ := publicsuffix.PublicSuffix(host)
	e := &psEntry{host: strings.Clone(host), suffix: len(ps)}
	if psCache[i].Load() == nil {
		psCache[i].Store(e)
	} else {
		psCache[j].Store(e)
	}
	return len(ps)
}

// tokenize hashes every maximal run of token characters of the lower-case
// URL, once per distinct token, and fills the bigram set in the same pass.
func (r *Request) tokenize() {
	r.tokensReady = true
	r.tokens = r.tokens[:0]
	if r.gen++; r.gen == 0 {
		r.seen = [512]uint64{}
		r.gen = 1
	}
	// A long URL would fill most of the bigram set anyway: it gets a full
	// set, which lets every rule through to its pattern check.
	pairs := len(r.lower) <= maxBigramURL
	var bg [bigramWords]uint64
	h := uint32(fnvOffset32)
	n := 0
	prev := uint32(0)
	for _, c := range r.lower {
		if tokenByte[c] != 0 {
			h = (h ^ uint32(c)) * fnvPrime32
			n++
		} else if n > 0 {
			r.addToken(h | 1)
			h, n = fnvOffset32, 0
		}
		if pairs {
			g := bigram(prev, uint32(c))
			bg[g>>6] |= 1 << (g & 63)
			prev = uint32(c)
		}
	}
	if n > 0 {
		r.addToken(h | 1)
	}
	if !pairs {
		for i := range bg {
			bg[i] = ^uint64(0)
		}
	}
	r.bigrams = bg
}

// maxBigramURL is the length above which the bigram set is not built.
const maxBigramURL = 768

// ensureTokens tokenizes the URL on first use: a matcher with only host
// rules never needs it.
func (r *Request) ensureTokens() {
	if !r.tokensReady {
		r.tokenize()
	}
}

// tokenByte maps a token character to itself in lower case and any other
// byte to 0.
var tokenByte = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		if lc := lowerByte(byte(c)); isTokenChar(lc) {
			t[c] = lc
		}
	}
	return t
}()

// The bigram set: a bit for each pair of adjacent bytes of the lower-case
// URL, hashed into bigramBits bits. A rule whose pattern holds a pair the
// URL lacks cannot match, which rules most candidates out with a few bit
// tests instead of a substring search.
const (
	bigramBits  = 1024
	bigramWords = bigramBits / 64
)

func bigram(a, b uint32) uint32 {
	return (a<<5 ^ b) & (bigramBits - 1)
}

// hasBigrams reports whether every bigram of a rule is in the URL. A rule
// stores bigram+1; 0 ends the list.
func (r *Request) hasBigrams(bg *[4]uint16) bool {
	for _, g := range bg {
		if g == 0 {
			return true
		}
		if g--; r.bigrams[g>>6]&(1<<(g&63)) == 0 {
			return false
		}
	}
	return true
}

// lowerInPlace lower-cases ASCII letters, eight bytes at a time.
func lowerInPlace(b []byte) {
	const ones = 0x0101010101010101
	i := 0
	for ; i+8 <= len(b); i += 8 {
		v := binary.LittleEndian.Uint64(b[i:])
		low7 := v & (0x7f * ones)
		geA := low7 + (0x80-'A')*ones // high bit set where the byte is >= 'A'
		gtZ := low7 + (0x7f-'Z')*ones // high bit set where the byte is > 'Z'
		upper := geA &^ gtZ &^ v & (0x80 * ones)
		binary.LittleEndian.PutUint64(b[i:], v|upper>>2)
	}
	for ; i < len(b); i++ {
		if c := b[i]; c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}

// addToken appends a token hash unless it was seen already.
func (r *Request) addToken(h uint32) {
	tag := uint64(r.gen)<<32 | uint64(h)
	slot := (h * 0x9E3779B1) >> (32 - 9)
	for probe := 0; probe < 8; probe++ {
		switch e := r.seen[slot]; {
		case e == tag:
			return
		case uint32(e>>32) != r.gen:
			r.seen[slot] = tag
			r.tokens = append(r.tokens, h)
			return
		}
		slot = (slot + 1) & 511
	}
	r.tokens = append(r.tokens, h) // crowded: a duplicate costs only time
}

// methodBits is a set of HTTP methods for the $method option.
type methodBits uint16

var methodNames = []string{"connect", "delete", "get", "head", "options", "patch", "post", "put"}

func parseMethod(m string) methodBits {
	for i, name := range methodNames {
		if strings.EqualFold(m, name) {
			return 1 << i
		}
	}
	return 0
}

// portlessLower returns the lower-case URL without its port.
func (r *Request) portlessLower() []byte {
	if r.pathStart == r.hostEnd {
		return r.lower
	}
	r.scratch = append(append(r.scratch[:0], r.lower[:r.hostEnd]...), r.lower[r.pathStart:]...)
	return r.scratch
}

// withHost returns the lower-case URL with another host and no port.
func (r *Request) withHost(host string) []byte {
	r.scratch = append(append(append(r.scratch[:0], r.lower[:r.hostStart]...), host...), r.lower[r.pathStart:]...)
	return r.scratch
}

// allowlistURL returns the lower-case URL without port, query and ";"
// parameters, the form DuckDuckGo's tracker allowlist matches.
func (r *Request) allowlistURL() []byte {
	path := r.lower[r.pathStart:]
	for i, c := range path {
		if c == '?' || c == ';' {
			path = path[:i]
			break
		}
	}
	r.scratch2 = append(append(r.scratch2[:0], r.lower[:r.hostEnd]...), path...)
	return r.scratch2
}
