// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Before Polaris completes a browser's TLS handshake on an intercepted
// tunnel to port 443, it checks that the site's own HTTPS works: the port answers, it
// speaks TLS, and its certificate verifies (upstreamReach). When it does
// not, the browser's handshake fails, as it would without Polaris, instead
// of getting a Polaris page over a working HTTPS connection. That matters
// because browsers try https:// on their own (Chromium's HTTPS upgrades,
// Firefox's HTTPS-first, both on port 443 only) and fall back to http:// only when the HTTPS
// attempt fails: a page, even an error page, is a success to them, and an
// HTTP-only site would never load. The check goes out by the route in force
// (direct or Tor) and runs while the browser sends its first TLS message; a
// success is remembered for reachTTL per host and port, so a site pays it
// once, not per connection. A route that refuses (Tor not ready) is not the
// site's failure: Polaris's own page explains it as before.

// reachTTL is how long a successful check of a site's HTTPS is trusted.
const reachTTL = 10 * time.Minute

// maxReach bounds the remembered checks.
const maxReach = 4096

// reachCache remembers the sites whose HTTPS worked recently.
type reachCache struct {
	mu sync.Mutex
	ok map[string]time.Time // host:port -> end of trust
}

func (c *reachCache) good(hostport string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.ok[hostport]
	return ok && now.Before(until)
}

func (c *reachCache) remember(hostport string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok == nil || len(c.ok) >= maxReach {
		fresh := make(map[string]time.Time)
		for k, v := range c.ok {
			if now.Before(v) && len(fresh) < maxReach/2 {
				fresh[k] = v
			}
		}
		c.ok = fresh
	}
	c.ok[hostport] = now.Add(reachTTL)
}

func (c *reachCache) reset() {
	c.mu.Lock()
	c.ok = nil
	c.mu.Unlock()
}

// startReach starts checking the site's HTTPS for the tunnel of req to
// hostport and returns the channel its answer comes on (nil error: the site
// works, or it was checked recently, or the route refused and Polaris's page
// will say why).
func (p *Proxy) startReach(req *http.Request, hostport, host string) <-chan error {
	ch := make(chan error, 1)
	if p.reach.good(hostport, time.Now()) {
		ch <- nil
		return ch
	}
	ctx := withSite(req.Context(), connectSite(req))
	go func() { ch <- p.checkReach(ctx, hostport, host) }()
	return ch
}

func (p *Proxy) checkReach(ctx context.Context, hostport, host string) error {
	conn, err := p.route.Load().dial(ctx, "tcp", hostport)
	var refusal *Refusal
	if errors.As(err, &refusal) {
		return nil
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(DefaultTLSHandshakeTimeout))
	tc := tls.Client(conn, &tls.Config{
		ServerName: host,
		RootCAs:    p.upstreamRoots(),
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
	})
	if err := tc.Handshake(); err != nil {
		return err
	}
	p.reach.remember(hostport, time.Now())
	return nil
}

// failHandshake answers a browser's TLS handshake with an alert: the
// site's HTTPS does not work (err says why).
func (p *Proxy) failHandshake(conn net.Conn, host string, err error) {
	p.cfg.Logf("HTTPS of %s does not work, so the browser's secure connection fails as it would without Polaris: %v", host, err)
	tc := tls.Server(conn, &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return nil, err }})
	tc.Handshake()
	conn.Close()
}
