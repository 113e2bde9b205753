// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// The origins of the browser tests: one web of virtual hosts on ports 80 and
// 443 of four loopback addresses inside the test namespace (netns_test.go),
// started once per package. A test makes its own sites (newSite: a fresh
// host name, so nothing a browser cached or learned about another test's
// site applies), gives them pages and handlers, and reads what each site
// received: every request with its headers, as the wire carried them.
//
//	127.0.0.1  :80 HTTP/1.1, :443 HTTPS with HTTP/2 and HTTP/1.1 (plain sites)
//	127.0.0.2  :80 only: nothing listens on 443 (siteNoHTTPS)
//	127.0.0.3  :80, and :443 answers with a certificate no one trusts (siteBadTLS)
//	127.0.0.4  :80, :443 HTTPS with HTTP/1.1 only (siteH1)
//
// Certificates on 443 come from the test CA (webCA), which Polaris is given
// as https.upstream-ca; browsers never trust it (they trust Polaris's CA).
// Every site also answers, unless a test replaces them:
//
//	/echo          the request as JSON: method, proto, headers
//	/ws            a WebSocket echoing each message
//	/sse?n=N       N server-sent events "event i", then the end
//	/big?size=N    N bytes of 'x' (text/plain)
//	/wait?ms=N     answers "done" after N milliseconds (a long poll)
//	/empty         204

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// siteKind is where a site lives and how it serves HTTPS.
type siteKind int

const (
	sitePlain   siteKind = iota // 127.0.0.1: HTTP and HTTPS (h2)
	siteNoHTTPS                 // 127.0.0.2: HTTP only, port 443 closed
	siteBadTLS                  // 127.0.0.3: port 443 with an untrusted certificate
	siteH1                      // 127.0.0.4: HTTPS without HTTP/2
)

var kindAddr = map[siteKind]string{sitePlain: "127.0.0.1", siteNoHTTPS: "127.0.0.2", siteBadTLS: "127.0.0.3", siteH1: "127.0.0.4"}

// web is the package's origins.
type web struct {
	caFile  string // the test CA (PEM): give it to Polaris as https.upstream-ca
	caCert  *x509.Certificate
	caKey   *ecdsa.PrivateKey
	dir     string
	mu      sync.Mutex
	sites   map[string]*site
	certs   map[string]*tls.Certificate
	servers []*http.Server
	n       atomic.Int64
}

// seenRequest is a request as an origin received it.
type seenRequest struct {
	Method string
	Scheme string // "http" or "https"
	Host   string
	Path   string
	Query  string
	Proto  string // "HTTP/1.1", "HTTP/2.0"
	Header http.Header
	Body   []byte // the first 64 KiB
	Time   time.Time
}

func (r *seenRequest) String() string {
	return fmt.Sprintf("%s %s://%s%s (%s)", r.Method, r.Scheme, r.Host, r.Path, r.Proto)
}

// site is one host name of the web.
type site struct {
	Host string
	Kind siteKind
	w    *web
	mux  *http.ServeMux
	mu   sync.Mutex
	reqs []*seenRequest
	seen chan struct{} // closed and replaced at each request
}

var (
	webOnce sync.Once
	theWeb  *web
	webErr  error
)

// sharedWeb returns the package's origins, starting them the first time.
// It fails the test when the namespace is missing under CI=true and skips it
// elsewhere.
func sharedWeb(t testing.TB) *web {
	t.Helper()
	requireNetns(t)
	webOnce.Do(func() { theWeb, webErr = startWeb() })
	if webErr != nil {
		t.Fatalf("starting the test origins: %v", webErr)
	}
	return theWeb
}

// requireNetns skips (fails under CI=true) a test that needs the private
// network namespace when there is none.
func requireNetns(t testing.TB) {
	t.Helper()
	if netnsErr == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: this test needs the private network namespace, which could not be made: %s", netnsErr)
	}
	t.Skipf("no private network namespace for the browser tests: %s", netnsErr)
}

func startWeb() (*web, error) {
	dir, err := os.MkdirTemp("", "polaris-e2e-web")
	if err != nil {
		return nil, err
	}
	w := &web{dir: dir, sites: map[string]*site{}, certs: map[string]*tls.Certificate{}}
	if err := w.makeCA(); err != nil {
		return nil, err
	}
	quiet := log.New(io.Discard, "", 0)
	for kind, ip := range kindAddr {
		ports := []int{80, 443}
		if kind == siteNoHTTPS {
			ports = ports[:1]
		}
		for _, port := range ports {
			ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
			if err != nil {
				w.close()
				return nil, err
			}
			srv := &http.Server{Handler: http.HandlerFunc(w.serve), ErrorLog: quiet, ReadHeaderTimeout: 30 * time.Second}
			if port == 443 {
				srv.TLSConfig = w.tlsConfig(kind)
				ln = tls.NewListener(ln, srv.TLSConfig)
			}
			w.servers = append(w.servers, srv)
			go srv.Serve(ln)
		}
	}
	return w, nil
}

func (w *web) close() {
	for _, s := range w.servers {
		s.Close()
	}
	os.RemoveAll(w.dir)
}

func (w *web) makeCA() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "Polaris e2e origins CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return err
	}
	w.caCert, _ = x509.ParseCertificate(der)
	w.caKey = key
	w.caFile = filepath.Join(w.dir, "origins-ca.pem")
	return os.WriteFile(w.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// tlsConfig serves a certificate for whatever name the client asks: from
// the test CA, or self-signed on the bad-TLS address.
func (w *web) tlsConfig(kind siteKind) *tls.Config {
	cfg := &tls.Config{
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return w.cert(hello.ServerName, kind == siteBadTLS)
		},
	}
	if kind == siteH1 {
		cfg.NextProtos = []string{"http/1.1"}
	}
	return cfg
}

func (w *web) cert(name string, selfSigned bool) (*tls.Certificate, error) {
	if name == "" {
		name = "unnamed.test"
	}
	k := name
	if selfSigned {
		k = "self:" + name
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.certs[k]; c != nil {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(47 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{name},
	}
	parent, signer := w.caCert, any(w.caKey)
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	w.certs[k] = c
	return c, nil
}

// newSite makes a site with a host name no other test uses: label-N.test,
// or, when label has a dot ("shop.example.com"), label with -N added to
// its first part ("shop-N.example.com": names under example.com/.net/.org
// are public names to a browser, .test names are not).
func (w *web) newSite(t testing.TB, label string, kind siteKind) *site {
	n := w.n.Add(1)
	first, rest, ok := strings.Cut(label, ".")
	if !ok {
		rest = "test"
	}
	host := strings.ToLower(fmt.Sprintf("%s-%d.%s", first, n, rest))
	s := &site{Host: host, Kind: kind, w: w, mux: http.NewServeMux(), seen: make(chan struct{})}
	s.defaults()
	w.mu.Lock()
	w.sites[host] = s
	w.mu.Unlock()
	setDNS(host, netip.MustParseAddr(kindAddr[kind]))
	return s
}

// namedSite makes a site with exactly the host name host (a real name,
// e.g. a search engine's: it resolves only inside the namespace). A test
// that uses it must be the only one to.
func (w *web) namedSite(t testing.TB, host string, kind siteKind) *site {
	host = strings.ToLower(host)
	s := &site{Host: host, Kind: kind, w: w, mux: http.NewServeMux(), seen: make(chan struct{})}
	s.defaults()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sites[host] != nil {
		t.Fatalf("namedSite: %s is taken", host)
	}
	w.sites[host] = s
	setDNS(host, netip.MustParseAddr(kindAddr[kind]))
	return s
}

// alias makes s answer host too (e.g. "www."+s.Host).
func (w *web) alias(s *site, host string) {
	host = strings.ToLower(host)
	w.mu.Lock()
	w.sites[host] = s
	w.mu.Unlock()
	setDNS(host, netip.MustParseAddr(kindAddr[s.Kind]))
}

func (w *web) serve(rw http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	w.mu.Lock()
	s := w.sites[strings.ToLower(host)]
	w.mu.Unlock()
	if s == nil {
		http.Error(rw, "no test site "+host, http.StatusMisdirectedRequest)
		return
	}
	s.record(r)
	s.mux.ServeHTTP(rw, r)
}

func (s *site) record(r *http.Request) {
	seen := &seenRequest{
		Method: r.Method, Scheme: "http", Host: r.Host, Path: r.URL.Path, Query: r.URL.RawQuery,
		Proto: r.Proto, Header: r.Header.Clone(), Time: time.Now(),
	}
	if r.TLS != nil {
		seen.Scheme = "https"
	}
	if r.Body != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
		seen.Body, _ = io.ReadAll(io.LimitReader(r.Body, 64<<10))
		r.Body = io.NopCloser(strings.NewReader(string(seen.Body)))
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, seen)
	close(s.seen)
	s.seen = make(chan struct{})
	s.mu.Unlock()
}

// URL returns scheme://host + path.
func (s *site) URL(scheme, path string) string { return scheme + "://" + s.Host + path }

// HTTP and HTTPS return the site's address of path.
func (s *site) HTTP(path string) string  { return s.URL("http", path) }
func (s *site) HTTPS(path string) string { return s.URL("https", path) }

// Handle serves pattern (http.ServeMux syntax, e.g. "GET /a/{id}") with h.
func (s *site) Handle(pattern string, h http.HandlerFunc) { s.mux.Handle(pattern, h) }

// Page serves path as an HTML page.
func (s *site) Page(path, html string) {
	s.Handle(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, html)
	})
}

// Requests returns what the site received so far.
func (s *site) Requests() []*seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*seenRequest(nil), s.reqs...)
}

// RequestsTo returns what the site received for path.
func (s *site) RequestsTo(path string) []*seenRequest {
	var out []*seenRequest
	for _, r := range s.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// WaitRequest waits (up to timeout) for a request that match accepts and
// returns it, or nil.
func (s *site) WaitRequest(timeout time.Duration, match func(*seenRequest) bool) *seenRequest {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, r := range s.reqs {
			if match(r) {
				s.mu.Unlock()
				return r
			}
		}
		seen := s.seen
		s.mu.Unlock()
		select {
		case <-seen:
		case <-deadline.C:
			return nil
		}
	}
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *site) defaults() {
	s.Handle("/echo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "proto": r.Proto, "headers": r.Header})
	})
	s.Handle("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if c.WriteMessage(typ, msg) != nil {
				return
			}
		}
	})
	s.Handle("/sse", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		f, _ := w.(http.Flusher)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(w, "data: event %d\n\n", i)
			if f != nil {
				f.Flush()
			}
		}
		fmt.Fprint(w, "event: end\ndata: end\n\n")
	})
	s.Handle("/big", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("size"))
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(n))
		chunk := []byte(strings.Repeat("x", 32<<10))
		for n > 0 {
			k := min(n, len(chunk))
			if _, err := w.Write(chunk[:k]); err != nil {
				return
			}
			n -= k
		}
	})
	s.Handle("/wait", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		io.WriteString(w, "done")
	})
	s.Handle("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
}
