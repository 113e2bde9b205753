// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"polaris/blocklist"
	"polaris/internal/settings"
)

// stealthRig is the running proxy, filtering HTTPS with a test CA, in front
// of two origins that answer every host name: plain HTTP on "port 80" and
// HTTPS on "port 443". The origins echo the request's headers as JSON and
// answer with the headers a request asks for in X-Respond (JSON).
type stealthRig struct {
	tp      *testProxy
	polaris *testCA
	hits    atomic.Int64
}

func newStealthRig(t testing.TB, m *blocklist.Matcher, pol Policy, bc BlockConfig) *stealthRig {
	t.Helper()
	rig := &stealthRig{polaris: newTestCA(t, "Polaris test CA")}
	upstream := newTestCA(t, "origin CA")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rig.hits.Add(1)
		var respond http.Header
		if v := r.Header.Get("X-Respond"); v != "" {
			if err := json.Unmarshal([]byte(v), &respond); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		var body []byte
		for k, vs := range respond {
			if k == "X-Test-Body" { // the body to answer with, base64
				body, _ = base64.StdEncoding.DecodeString(vs[0])
				continue
			}
			w.Header()[http.CanonicalHeaderKey(k)] = vs
		}
		w.Header().Set("X-Origin", "1")
		if body != nil {
			w.Write(body)
			return
		}
		json.NewEncoder(w).Encode(echo{Method: r.Method, URL: r.URL.String(), Header: r.Header})
	})
	tlsOrigin := httptest.NewUnstartedServer(handler)
	tlsOrigin.TLS = &tls.Config{GetCertificate: upstream.getCertificate, NextProtos: []string{"http/1.1"}}
	tlsOrigin.Config.ErrorLog = discardLog
	tlsOrigin.StartTLS()
	t.Cleanup(tlsOrigin.Close)
	plain := httptest.NewServer(handler)
	t.Cleanup(plain.Close)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		to := tlsOrigin.Listener.Addr().String()
		if _, port, _ := net.SplitHostPort(addr); port == "80" {
			to = plain.Listener.Addr().String()
		}
		return (&net.Dialer{}).DialContext(ctx, network, to)
	}
	cfg := Config{TLSConfigForHost: rig.polaris.tlsConfigForHost, Route: Route{Dial: dial}, RootCAs: upstream.pool,
		Block: bc, Logf: func(string, ...any) {}}
	rig.tp = startProxy(t, cfg, pol)
	if err := rig.tp.SetHTTPSPolicy(HTTPSPolicy{Filter: true}); err != nil {
		t.Fatal(err)
	}
	rig.tp.SetMatcher(m)
	return rig
}

// exchange is what one request through the rig came to.
type exchange struct {
	sent     http.Header // what the origin received; nil when it was not reached
	received http.Header // the answer's headers as the client got them
	status   int
	body     string // the answer's body
	url      string // the address the origin received
}

// send sends a browser's request for target of type typ from a page at site
// (see browserHeaders) with the extra headers in h, asking the origin to
// answer with respond. The scheme of target decides the path: plain HTTP,
// or HTTPS through an intercepted CONNECT.
func (rig *stealthRig) send(t testing.TB, target, site, typ string, h, respond http.Header) exchange {
	t.Helper()
	req, err := http.NewRequest("GET", target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = browserHeaders(typ, site, target)
	for k, vs := range h {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if respond != nil {
		b, _ := json.Marshal(respond)
		req.Header.Set("X-Respond", string(b))
	}
	c := mitmClient(rig.tp, rig.polaris.pool)
	defer c.CloseIdleConnections()
	before := rig.hits.Load()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s from %s: %v", target, site, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	ex := exchange{received: resp.Header, status: resp.StatusCode, body: string(body)}
	if rig.hits.Load() == before {
		return ex
	}
	if respond.Get("X-Test-Body") != "" {
		return ex
	}
	var e echo
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("GET %s: the origin's echo: %v", target, err)
	}
	ex.sent, ex.url = e.Header, e.URL
	return ex
}

// stealthOn is the default stealth settings with no lifetime caps.
func stealthOn() settings.Stealth {
	s := settings.Default().Stealth
	s.ThirdPartyCookieMaxAge = 0
	return s
}

// trackerRules names tracker.example as a tracker that an exception rule
// lets through, so that its requests reach the origin.
func trackerRules(t testing.TB, opts blocklist.Options) *blocklist.Matcher {
	return compileRules(t, opts, "||tracker.example^$third-party", "@@||tracker.example^$third-party")
}

// One row per header the stealth protections touch, stripped or kept,
// first party (a page of the same site) and third party (a page of another
// site), over plain HTTP and filtered HTTPS.
func TestStealthHeaders(t *testing.T) {
	rig := newStealthRig(t, trackerRules(t, blocklist.Options{}), Policy{Protection: true, Stealth: stealthOn()}, BlockConfig{})
	const year = "id=1; Path=/; Max-Age=31536000"
	tests := []struct {
		name         string
		host         string // the requested host; the third-party page is news.example
		typ          string // request type (browserHeaders)
		req          http.Header
		resp         http.Header
		first, third bool // kept for a first-party page, for a third-party page
	}{
		{"X-Client-Data", "www.google.example", "script", hdr("X-Client-Data", "CIa2yQEIpLbJAQ=="), nil, false, false},
		{"If-None-Match", "cdn.example", "script", hdr("If-None-Match", `"abc"`), nil, true, false},
		{"If-Modified-Since", "cdn.example", "image", hdr("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"), nil, true, false},
		{"ETag", "cdn.example", "image", nil, hdr("ETag", `"unique-id-123"`), true, false},
		{"Last-Modified", "cdn.example", "image", nil, hdr("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"), true, false},
		{"Authorization on an image", "cdn.example", "image", hdr("Authorization", "Basic dTpw"), nil, true, false},
		{"Authorization on a frame", "cdn.example", "sub_frame", hdr("Authorization", "Basic dTpw"), nil, true, false},
		{"Authorization of a script's fetch", "api.example", "xmlhttprequest", hdr("Authorization", "Bearer key"), nil, true, true},
		{"Authorization of a fetch to a tracker", "tracker.example", "xmlhttprequest", hdr("Authorization", "Bearer key"), nil, true, false},
		{"Sec-CH-UA-Full-Version-List", "cdn.example", "script", hdr("Sec-CH-UA-Full-Version-List", `"Chromium";v="156.0.7000.1"`), nil, true, false},
		{"Sec-CH-UA-Platform-Version", "cdn.example", "script", hdr("Sec-CH-UA-Platform-Version", `"6.1.0"`), nil, true, false},
		{"Sec-CH-UA-Model", "cdn.example", "script", hdr("Sec-CH-UA-Model", `"Pixel 9"`), nil, true, false},
		{"Sec-CH-UA-Arch", "cdn.example", "script", hdr("Sec-CH-UA-Arch", `"x86"`), nil, true, false},
		{"Sec-CH-UA-Bitness", "cdn.example", "script", hdr("Sec-CH-UA-Bitness", `"64"`), nil, true, false},
		{"Sec-CH-UA-WoW64", "cdn.example", "script", hdr("Sec-CH-UA-WoW64", "?0"), nil, true, false},
		{"Sec-CH-UA (low entropy)", "cdn.example", "script", hdr("Sec-CH-UA", `"Chromium";v="156"`), nil, true, true},
		{"Sec-CH-UA-Platform (low entropy)", "cdn.example", "script", hdr("Sec-CH-UA-Platform", `"Linux"`), nil, true, true},
		{"Accept-CH", "cdn.example", "sub_frame", nil, hdr("Accept-CH", "Sec-CH-UA-Model"), true, false},
		{"Critical-CH", "cdn.example", "sub_frame", nil, hdr("Critical-CH", "Sec-CH-UA-Model"), true, false},
		{"Cookie to a tracker", "tracker.example", "image", hdr("Cookie", "uid=42"), nil, true, false},
		{"Set-Cookie from a tracker", "tracker.example", "image", nil, hdr("Set-Cookie", year), true, false},
		{"Cookie to another site", "cdn.example", "image", hdr("Cookie", "pref=1"), nil, true, true},
		{"Set-Cookie from another site", "cdn.example", "image", nil, hdr("Set-Cookie", year), true, true},
		{"User-Agent", "tracker.example", "script", hdr("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0"), nil, true, true},
		{"an unrelated header", "tracker.example", "script", hdr("X-Requested-With", "XMLHttpRequest"), hdr("X-Served-By", "cache-1"), true, true},
	}
	for _, scheme := range []string{"http", "https"} {
		for _, tt := range tests {
			t.Run(scheme+"/"+tt.name, func(t *testing.T) {
				target := scheme + "://" + tt.host + "/x"
				for _, party := range []struct {
					site string
					want bool
				}{{scheme + "://" + tt.host + "/page", tt.first}, {scheme + "://news.example/page", tt.third}} {
					ex := rig.send(t, target, party.site, tt.typ, tt.req, tt.resp)
					if ex.sent == nil {
						t.Fatalf("GET %s from %s: the origin was not reached (%d)", target, party.site, ex.status)
					}
					checkKept(t, "request", ex.sent, tt.req, party.site, party.want)
					checkKept(t, "answer", ex.received, tt.resp, party.site, party.want)
				}
			})
		}
	}
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// checkKept checks that every header of want arrived in got unchanged
// (keep) or not at all.
func checkKept(t *testing.T, what string, got, want http.Header, site string, keep bool) {
	t.Helper()
	for k, vs := range want {
		g := got[http.CanonicalHeaderKey(k)]
		switch {
		case keep && strings.Join(g, "\n") != strings.Join(vs, "\n"):
			t.Errorf("from %s: %s header %s = %q, want %q kept", site, what, k, g, vs)
		case !keep && len(g) > 0:
			t.Errorf("from %s: %s header %s = %q, want it removed", site, what, k, g)
		}
	}
}

// A tracker is a tracker however it was let through: its cookies are
// removed for a third-party page in every case.
func TestStealthTrackerLetThrough(t *testing.T) {
	entities := `{"entities": {"Owner": {"properties": ["owner.example"], "resources": ["ownercdn.example"]}}}`
	ent, err := blocklist.ParseString(entities, blocklist.ListMeta{Name: "entities"})
	if err != nil {
		t.Fatal(err)
	}
	list := func(rules ...string) *blocklist.List {
		l, err := blocklist.ParseString(strings.Join(rules, "\n"), blocklist.ListMeta{Name: "test list", Category: "advertising"})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	tds := `{"trackers": {"ignored.example": {"domain": "ignored.example", "owner": {"name": "Ign"}, "default": "ignore"}},
  "entities": {"Ign": {"domains": ["ignored.example"]}}, "domains": {"ignored.example": "Ign"},
  "cnames": {"cloaked.news.example": "collect.ignored.example"}}`
	tdsList, err := blocklist.ParseString(tds, blocklist.ListMeta{Name: "tds"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		lists  []*blocklist.List
		opts   blocklist.Options
		bc     BlockConfig
		prep   func(p *Proxy)
		target string
		site   string
	}{
		{"exception rule", []*blocklist.List{list("||t.example^", "@@||t.example/ok^")}, blocklist.Options{}, BlockConfig{}, nil,
			"http://t.example/ok", "http://news.example/"},
		{"category off", []*blocklist.List{list("||t.example^")}, blocklist.Options{Categories: []string{"social"}}, BlockConfig{}, nil,
			"http://t.example/x", "http://news.example/"},
		{"owner exemption", []*blocklist.List{list("||ownercdn.example^$third-party"), ent}, blocklist.Options{OwnerParties: true}, BlockConfig{}, nil,
			"http://ownercdn.example/x", "http://owner.example/"},
		{"allow once", []*blocklist.List{list("||t.example^")}, blocklist.Options{}, BlockConfig{},
			func(p *Proxy) { p.AllowOnce("t.example", time.Now().Add(time.Hour)) },
			"http://t.example/x", "http://news.example/"},
		{"EFF policy", []*blocklist.List{list("||t.example^")}, blocklist.Options{},
			BlockConfig{Exempt: func(string) string { return "posts the EFF Do Not Track policy" }}, nil,
			"http://t.example/x", "http://news.example/"},
		{"paused", []*blocklist.List{list("||t.example^")}, blocklist.Options{}, BlockConfig{},
			func(p *Proxy) { p.Pause(PauseUntilRestart) },
			"http://t.example/x", "http://news.example/"},
		{"TDS ignore", []*blocklist.List{tdsList}, blocklist.Options{}, BlockConfig{}, nil,
			"http://ignored.example/x", "http://news.example/"},
		{"TDS CNAME", []*blocklist.List{tdsList}, blocklist.Options{}, BlockConfig{}, nil,
			"http://cloaked.news.example/x", "http://shop.example/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := blocklist.Compile(tt.lists, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			// DNT: 1, so that an EFF policy may exempt.
			rig := newStealthRig(t, m, Policy{Protection: true, DNT: settings.DNTDoNotTrack, Stealth: stealthOn()}, tt.bc)
			if tt.prep != nil {
				tt.prep(rig.tp.Proxy)
			}
			ex := rig.send(t, tt.target, tt.site, "image", hdr("Cookie", "uid=42"), hdr("Set-Cookie", "uid=42; Max-Age=9999999"))
			if ex.sent == nil {
				t.Fatalf("GET %s from %s: not let through (%d)", tt.target, tt.site, ex.status)
			}
			if c := ex.sent.Get("Cookie"); c != "" {
				t.Errorf("GET %s from %s: the tracker got Cookie %q", tt.target, tt.site, c)
			}
			if c := ex.received.Get("Set-Cookie"); c != "" {
				t.Errorf("GET %s from %s: the tracker's Set-Cookie %q reached the browser", tt.target, tt.site, c)
			}
		})
	}
}
