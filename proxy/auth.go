// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Proxy authentication (Config.Auth, needed when Polaris listens on a
// network). A wrong password costs the guesser: each client address (an
// IPv6 client by its /64) may get authGuesses wrong in a row, and then one
// more guess per authRefill; meanwhile its requests get 429 and their
// credentials are not even looked at, so a right guess in that time is
// worth nothing. Failures are logged with the address, never with what was
// sent. The credentials are compared as SHA-256 hashes, of equal length
// whatever was sent, in constant time.
const (
	authGuesses = 10
	authRefill  = 6 * time.Second
	// authClients bounds the addresses remembered.
	authClients = 4096
)

type authGate struct {
	want [sha256.Size]byte // hash of "user:password"
	logf func(string, ...any)

	mu      sync.Mutex
	clients map[netip.Prefix]*guesses
}

// guesses is what a client address has left: a bucket of wrong guesses,
// refilled one per authRefill, full again at authGuesses.
type guesses struct {
	left  float64
	at    time.Time // when left was computed
	total int       // wrong guesses so far
}

func newAuthGate(cred string, logf func(string, ...any)) *authGate {
	if cred == "" {
		return nil
	}
	return &authGate{want: sha256.Sum256([]byte(cred)), logf: logf, clients: map[netip.Prefix]*guesses{}}
}

// checkAuth answers r when it may not pass (407 without or with wrong
// credentials, 429 while its address is held back) and reports whether it
// may.
func (p *Proxy) checkAuth(w http.ResponseWriter, r *http.Request) bool {
	g := p.auth
	if g == nil {
		return true
	}
	client := clientPrefix(r.RemoteAddr)
	now := time.Now()
	if wait := g.wait(client, now); wait > 0 {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		p.writePage(w, r, http.StatusTooManyRequests, pageData{
			Title: "Too many wrong passwords",
			Text:  "This computer sent too many wrong proxy passwords. Polaris accepts none from it for a little while, not even the right one.",
			Hint:  "Try again in " + strconv.Itoa(secs) + " seconds.",
		})
		return false
	}
	ok, sent := g.matches(r)
	if ok {
		return true
	}
	if sent {
		g.failed(client, now)
	}
	w.Header().Set("Proxy-Authenticate", `Basic realm="Polaris", charset="UTF-8"`)
	p.writePage(w, r, http.StatusProxyAuthRequired, pageData{
		Title: "Proxy authentication required",
		Text:  "This Polaris proxy needs a user name and password. Enter the ones set in Polaris (proxy.auth).",
	})
	return false
}

// matches reports whether r carries the right credentials, and whether it
// carries any.
func (g *authGate) matches(r *http.Request) (ok, sent bool) {
	cred, sent := basicCredentials(r)
	if !sent {
		return false, false
	}
	got := sha256.Sum256(cred)
	return subtle.ConstantTimeCompare(got[:], g.want[:]) == 1, true
}

// basicCredentials returns the decoded "user:password" of r's
// Proxy-Authorization, and whether it sent any (a malformed header counts
// as a wrong guess).
func basicCredentials(r *http.Request) ([]byte, bool) {
	h := r.Header.Get("Proxy-Authorization")
	if h == "" {
		return nil, false
	}
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return nil, true
	}
	// token68 (RFC 7617): Go's decoder would skip line breaks inside it.
	cred = strings.TrimSpace(cred)
	if strings.ContainsAny(cred, "\r\n") {
		return nil, true
	}
	got, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return nil, true
	}
	return got, true
}

// clientPrefix is the address a client is judged by: an IPv4 address, or
// the /64 of an IPv6 one (a host has a whole /64 to pick from).
func clientPrefix(remote string) netip.Prefix {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		host, _, _ := net.SplitHostPort(remote)
		a, err := netip.ParseAddr(host)
		if err != nil {
			return netip.Prefix{}
		}
		ap = netip.AddrPortFrom(a, 0)
	}
	a := ap.Addr().Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	pf, _ := a.Prefix(64)
	return pf
}

// refill brings c's bucket to now.
func (c *guesses) refill(now time.Time) {
	c.left = min(authGuesses, c.left+float64(now.Sub(c.at))/float64(authRefill))
	c.at = now
}

// wait returns how long client must wait before its next guess counts.
func (g *authGate) wait(client netip.Prefix, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.clients[client]
	if c == nil {
		return 0
	}
	c.refill(now)
	if c.left >= 1 {
		return 0
	}
	return time.Duration((1 - c.left) * float64(authRefill))
}

// failed counts a wrong guess of client.
func (g *authGate) failed(client netip.Prefix, now time.Time) {
	g.mu.Lock()
	c := g.clients[client]
	if c == nil {
		if len(g.clients) >= authClients {
			g.forget(now)
		}
		c = &guesses{left: authGuesses, at: now}
		g.clients[client] = c
	}
	c.refill(now)
	c.left--
	c.total++
	total, held := c.total, c.left < 1
	g.mu.Unlock()
	switch {
	case total == 1:
		g.logf("proxy authentication: wrong user name or password from %s", client.Addr())
	case held && total == authGuesses:
		g.logf("proxy authentication: %d wrong passwords from %s; holding it back (one more guess every %v)", total, client.Addr(), authRefill)
	case held && total%100 == 0:
		g.logf("proxy authentication: %d wrong passwords from %s so far", total, client.Addr())
	}
}

// forget drops the addresses whose bucket is full again (they have
// nothing to remember), or, if none is, the one with the most left.
// Called with g.mu held.
func (g *authGate) forget(now time.Time) {
	var most netip.Prefix
	best := -1.0
	for k, c := range g.clients {
		c.refill(now)
		if c.left >= authGuesses {
			delete(g.clients, k)
			continue
		}
		if c.left > best {
			most, best = k, c.left
		}
	}
	if len(g.clients) >= authClients {
		delete(g.clients, most)
	}
}
