// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"polaris/internal/status"
)

// Clients. HTTPS interception is decided per client, never for everyone: a
// browser that lacks Polaris's certificate authority must keep working, and
// must not lower another browser's protection. A client is known by its
// kind (clientID): the browser family and major version its User-Agent
// names (a CONNECT carries the browser's User-Agent), the program's name
// for other programs, or a fingerprint of its TLS ClientHello when it sends
// no User-Agent. For each kind the proxy remembers what its handshakes
// showed:
//
//   - it accepted a certificate from Polaris's CA: it trusts the CA, and is
//     filtered;
//   - it refused one before accepting any: it does not trust the CA (it
//     was never set up), so its tunnels pass through untouched from then
//     on — unfiltered, but working — and the window says so;
//   - it refused one for a host while it accepted others recently: it pins
//     that host's certificate; the host passes through for this kind of
//     client alone.
//
// The first refusal costs the client one connection (the browser shows its
// certificate warning once; a reload loads the site untouched). What was
// learned lasts until Polaris restarts or ForgetClientTrust (the CA was
// installed), and an HTTPS visit to Polaris's own pages, always
// intercepted, shows again whether the client trusts the CA.

// clientID is a kind of client.
type clientID struct {
	family  status.Family
	version string
	name    string // OtherClient: program name or TLS fingerprint
}

// key is id as one string, for storage (parseClientKey reads it).
func (id clientID) key() string {
	return string(id.family) + "/" + id.version + "/" + id.name
}

// parseClientKey reads what key wrote.
func parseClientKey(s string) (clientID, bool) {
	parts := strings.SplitN(s, "/", 3)
	if len(parts) != 3 || parts[0] == "" {
		return clientID{}, false
	}
	return clientID{family: status.Family(parts[0]), version: parts[1], name: parts[2]}, true
}

// PassThroughWords says a PassThrough entry in words: "app.example" or
// "app.example (for curl)".
func PassThroughWords(entry string) string {
	h, key, ok := strings.Cut(entry, "\t")
	if !ok {
		return entry
	}
	id, ok := parseClientKey(key)
	if !ok {
		return h
	}
	return h + " (for " + id.words() + ")"
}

// clientIntercepts reports whether a tunnel of id to host may be
// intercepted as far as that client goes: it trusts the CA (or is not known
// not to) and neither it nor the policy says it pins host.
func (p *Proxy) clientIntercepts(st *state, id clientID, host string) bool {
	if _, ok := st.https.passFor[id][host]; ok {
		return false
	}
	return p.clients.intercepts(id, host)
}

// client is id as a status value.
func (id clientID) client() status.Client {
	return status.Client{Family: id.family, Version: id.version, Name: id.name}
}

// words names id for the log.
func (id clientID) words() string { return id.client().Words() }

// clientOfUA is the kind of client a User-Agent names; ok is false when
// there is none (the TLS hello then tells).
func clientOfUA(ua string) (id clientID, ok bool) {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return clientID{}, false
	}
	fam, ver := status.ClientOf(ua)
	id = clientID{family: fam, version: ver}
	if fam == status.OtherClient {
		id.name = programName(ua)
	}
	return id, true
}

// programName is the first product token of a User-Agent ("curl" of
// "curl/8.5.0"), bounded and in plain characters.
func programName(ua string) string {
	end := strings.IndexAny(ua, "/ ;(")
	if end < 0 {
		end = len(ua)
	}
	name := ua[:min(end, 32)]
	if strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) >= 0 || name == "" {
		return "program"
	}
	return name
}

// clientOfHello is the kind of a client that sent no User-Agent: a
// fingerprint of its ClientHello (version, cipher suites and extension
// types without GREASE, extensions sorted since browsers shuffle them,
// ALPN), which the programs of one TLS library share.
func clientOfHello(h *clientHello) clientID {
	if h == nil {
		return clientID{family: status.OtherClient, name: "TLS client"}
	}
	sum := sha256.New()
	var b [2]byte
	put := func(v uint16) { binary.BigEndian.PutUint16(b[:], v); sum.Write(b[:]) }
	put(h.version)
	for _, c := range h.cipherSuites {
		if !isGREASE(c) {
			put(c)
		}
	}
	put(0)
	var types []uint16
	for _, e := range h.extensions {
		if !isGREASE(e.typ) && e.typ != extPadding {
			types = append(types, e.typ)
		}
	}
	slices.Sort(types)
	for _, t := range types {
		put(t)
	}
	put(0)
	sum.Write([]byte(strings.Join(h.alpn(), ",")))
	return clientID{family: status.OtherClient, name: "TLS client " + hex.EncodeToString(sum.Sum(nil)[:4])}
}

// clientBook is what the proxy knows of each kind of client. Its methods
// are safe for concurrent use; they take one mutex, held briefly.
type clientBook struct {
	mu      sync.Mutex
	m       map[clientID]*clientRec
	changed func() // told (on its own goroutine) when something worth showing changed
}

type clientRec struct {
	c        status.Client
	lastOK   time.Time           // last accepted handshake
	pinned   map[string]struct{} // hosts it pins
	learnAt  []time.Time         // pins learned, for the hourly cap
	reported time.Time           // LastSeen when last reported
}

// Limits of the client book and of pinning detection.
const (
	maxClients     = 256
	pinTrustWindow = 30 * time.Minute
	pinMaxPerHour  = 10
	pinMaxHosts    = 4096
	// clientReportEvery bounds how often a client only seen again is
	// reported.
	clientReportEvery = 30 * time.Second
)

// record returns id's record, creating it; under b.mu.
func (b *clientBook) record(id clientID, now time.Time) (*clientRec, bool) {
	if r := b.m[id]; r != nil {
		return r, false
	}
	if b.m == nil {
		b.m = map[clientID]*clientRec{}
	}
	if len(b.m) >= maxClients {
		var oldest clientID
		var at time.Time
		for k, r := range b.m {
			if at.IsZero() || r.c.LastSeen.Before(at) {
				oldest, at = k, r.c.LastSeen
			}
		}
		delete(b.m, oldest)
	}
	r := &clientRec{c: status.Client{Family: id.family, Version: id.version, Name: id.name, FirstSeen: now}}
	b.m[id] = r
	return r, true
}

// tell calls changed off the caller's goroutine.
func (b *clientBook) tell() {
	if b.changed != nil {
		go b.changed()
	}
}

// seen records a request (https false) or an HTTPS connection (filtered:
// intercepted) of id.
func (b *clientBook) seen(id clientID, https, filtered bool, now time.Time) {
	b.mu.Lock()
	r, fresh := b.record(id, now)
	r.c.LastSeen = now
	r.c.Requests++
	changed := fresh || now.Sub(r.reported) >= clientReportEvery
	if https {
		changed = changed || r.c.Filtered != filtered || r.c.LastHTTPS.IsZero()
		r.c.LastHTTPS, r.c.Filtered = now, filtered
	}
	if changed {
		r.reported = now
	}
	b.mu.Unlock()
	if changed {
		b.tell()
	}
}

// intercepts reports whether a tunnel of id to host may be intercepted:
// not when id does not trust the CA, nor when it pins host.
func (b *clientBook) intercepts(id clientID, host string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.m[id]
	if r == nil {
		return true
	}
	if r.c.Trust == status.TrustNo {
		return false
	}
	_, pinned := r.pinned[host]
	return !pinned
}

// trust is what id's handshakes showed.
func (b *clientBook) trust(id clientID) status.Trust {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.m[id]; r != nil {
		return r.c.Trust
	}
	return status.TrustUnknown
}

// accepted records that id accepted a certificate from Polaris's CA.
func (b *clientBook) accepted(id clientID, now time.Time) {
	b.mu.Lock()
	r, fresh := b.record(id, now)
	r.lastOK = now
	changed := fresh || r.c.Trust != status.TrustYes
	r.c.Trust = status.TrustYes
	b.mu.Unlock()
	if changed {
		b.tell()
	}
}

// rejected records that id refused Polaris's certificate for host and
// reports whether that is taken for pinning of host (id accepted the CA
// recently); otherwise id does not trust the CA and is no longer
// intercepted. A client that already trusts the CA but refuses too many
// hosts in an hour is not learned further (the refusals then cost it the
// connections: it was set up, something else is wrong).
func (b *clientBook) rejected(id clientID, host string, now time.Time) (pinning bool) {
	b.mu.Lock()
	r, _ := b.record(id, now)
	defer func() { b.mu.Unlock(); b.tell() }()
	if r.c.Trust != status.TrustYes || now.Sub(r.lastOK) > pinTrustWindow {
		r.c.Trust = status.TrustNo
		return false
	}
	if _, ok := r.pinned[host]; ok {
		return true
	}
	recent := r.learnAt[:0]
	for _, at := range r.learnAt {
		if now.Sub(at) < time.Hour {
			recent = append(recent, at)
		}
	}
	r.learnAt = recent
	if len(recent) >= pinMaxPerHour || len(r.pinned) >= pinMaxHosts {
		return true
	}
	if r.pinned == nil {
		r.pinned = map[string]struct{}{}
	}
	r.pinned[host] = struct{}{}
	r.learnAt = append(r.learnAt, now)
	return true
}

// forgetPins forgets the hosts learned as pinned: the owner keeps them
// (CertRejection.Entry) in the policy, which counts from then on.
func (b *clientBook) forgetPins() {
	b.mu.Lock()
	for _, r := range b.m {
		r.pinned = nil
	}
	b.mu.Unlock()
}

// forgetTrust forgets what the handshakes showed (the CA was installed or
// replaced): every client is tried again.
func (b *clientBook) forgetTrust() {
	b.mu.Lock()
	for _, r := range b.m {
		r.c.Trust, r.lastOK, r.pinned, r.learnAt = status.TrustUnknown, time.Time{}, nil, nil
	}
	b.mu.Unlock()
	b.tell()
}

// list returns the clients, most recently seen first.
func (b *clientBook) list() []status.Client {
	b.mu.Lock()
	out := make([]status.Client, 0, len(b.m))
	for _, r := range b.m {
		c := r.c
		if c.Check != nil {
			chk := *c.Check
			c.Check = &chk
		}
		for h := range r.pinned {
			c.Pinned = append(c.Pinned, h)
		}
		slices.Sort(c.Pinned)
		out = append(out, c)
	}
	b.mu.Unlock()
	slices.SortFunc(out, func(a, b status.Client) int {
		return cmp.Or(cmp.Compare(b.LastSeen.Unix(), a.LastSeen.Unix()), cmp.Compare(a.Family, b.Family),
			cmp.Compare(a.Version, b.Version), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// ForgetClientTrust forgets which clients refused Polaris's certificate and
// which sites they pin, so that every client's HTTPS is filtered again (and
// tried again): call it once the CA was installed in browsers or replaced.
func (p *Proxy) ForgetClientTrust() {
	p.clients.forgetTrust()
	p.dropStaleInterceptions()
}

// clientWords says in words what Polaris does with a client's HTTPS, and
// what its check page found.
func clientWords(c status.Client) string {
	s := httpsWords(c)
	if k := c.Check; k != nil {
		s += fmt.Sprintf("; check page %s: WebRTC %s", k.Time.Format("15:04"), k.WebRTC)
		if k.Secure {
			s += ", trusts Polaris's certificate"
		}
	}
	return s
}

func httpsWords(c status.Client) string {
	switch {
	case c.Trust == status.TrustNo:
		return "does not trust Polaris's certificate: its HTTPS passes through untouched (not filtered)"
	case c.LastHTTPS.IsZero():
		return "no HTTPS seen yet"
	case c.Filtered && len(c.Pinned) > 0:
		return "HTTPS filtered, except sites it pins: " + strings.Join(c.Pinned, ", ")
	case c.Filtered:
		return "HTTPS filtered"
	}
	return "HTTPS passes through untouched (not filtered)"
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
