// SPDX-License-Identifier: GPL-3.0-or-later

// Package dnstest runs DNS servers for tests, on loopback only: one zone,
// written in master-file syntax, served as plain DNS (UDP and TCP), DNS over
// HTTPS and DNS over TLS, with TLS certificates from a test CA of its own.
// Every query is recorded with the transport it came by, so a test can show
// that a name was (or never was) sent in the clear.
package dnstest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Transports a query can come by.
const (
	Plain = "plain" // UDP or TCP port 53 style
	DoH   = "doh"
	DoT   = "dot"
)

// Query is one question the server was asked.
type Query struct {
	Name      string // lower case, no final dot
	Type      string // "A", "AAAA", "HTTPS", ...
	Transport string
}

// Server answers from its zone. Its methods are safe for concurrent use.
type Server struct {
	// Plain is the address of the plain DNS server (UDP and TCP), DoHURL
	// the DNS-over-HTTPS URL, DoTURL the DNS-over-TLS address as
	// "tls://127.0.0.1:port".
	Plain, DoHURL, DoTURL string
	// CA verifies the servers' certificates (valid for 127.0.0.1, ::1,
	// localhost and dns.test); CAPEM is the same in PEM.
	CA    *x509.CertPool
	CAPEM []byte

	mu      sync.Mutex
	rrs     map[string][]dns.RR // owner name (lower case, no dot) -> records
	queries []Query
	delay   time.Duration
	stops   []func()
	stopped bool
}

// Start runs the servers with the given zone lines, e.g.
// "a.test. 300 IN CNAME b.test." or "b.test. 60 IN A 127.0.0.1" (a
// wildcard "*.test." answers the names under test. that have no records of
// their own); they stop when the test ends.
func Start(t testing.TB, zone ...string) *Server {
	t.Helper()
	s := &Server{rrs: map[string][]dns.RR{}}
	s.Add(t, zone...)
	cert, caPEM, pool, err := certificate()
	if err != nil {
		t.Fatal(err)
	}
	s.CA, s.CAPEM = pool, caPEM
	if err := s.listen(cert); err != nil {
		s.Stop()
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Add adds zone lines.
func (s *Server) Add(t testing.TB, zone ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range zone {
		rr, err := dns.NewRR(line)
		if err != nil || rr == nil {
			t.Fatalf("dnstest: zone line %q: %v", line, err)
		}
		name := key(rr.Header().Name)
		s.rrs[name] = append(s.rrs[name], rr)
	}
}

// SetDelay makes every answer wait d (for latency measurements).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

func (s *Server) listen(cert tls.Certificate) error {
	handler := func(tr string) dns.Handler {
		return dns.HandlerFunc(func(w dns.ResponseWriter, m *dns.Msg) { w.WriteMsg(s.answer(m, tr)) })
	}
	pc, tcp, err := listenPair()
	if err != nil {
		return err
	}
	s.Plain = pc.LocalAddr().String()
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	tl, err := tls.Listen("tcp", "127.0.0.1:0", tlsCfg)
	if err != nil {
		pc.Close()
		tcp.Close()
		return err
	}
	s.DoTURL = "tls://" + tl.Addr().String()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: handler(Plain)}, {Listener: tcp, Handler: handler(Plain)}, {Listener: tl, Net: "tcp-tls", Handler: handler(DoT)}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		s.stops = append(s.stops, func() { srv.Shutdown() })
	}
	doh := httptest.NewUnstartedServer(http.HandlerFunc(s.serveDoH))
	doh.EnableHTTP2 = true
	doh.TLS = tlsCfg.Clone()
	doh.StartTLS()
	s.DoHURL = doh.URL + "/dns-query"
	s.stops = append(s.stops, doh.Close)
	return nil
}

// listenPair listens on one free port for UDP and TCP (the port UDP got
// may be taken for TCP: then another one).
func listenPair() (net.PacketConn, net.Listener, error) {
	var err error
	for range 20 {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return nil, nil, err
		}
		var tcp net.Listener
		if tcp, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			return pc, tcp, nil
		}
		pc.Close()
	}
	return nil, nil, err
}

// serveDoH answers RFC 8484 POST and GET requests.
func (s *Server) serveDoH(w http.ResponseWriter, r *http.Request) {
	var wire []byte
	var err error
	switch r.Method {
	case http.MethodPost:
		wire, err = io.ReadAll(io.LimitReader(r.Body, 65535))
	case http.MethodGet:
		wire, err = base64.RawURLEncoding.DecodeString(r.URL.Query().Get("dns"))
	default:
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	m := new(dns.Msg)
	if err != nil || m.Unpack(wire) != nil {
		http.Error(w, "bad query", http.StatusBadRequest)
		return
	}
	out, err := s.answer(m, DoH).Pack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/dns-message")
	w.Write(out)
}

// answer resolves a question in the zone, following CNAMEs inside it.
func (s *Server) answer(q *dns.Msg, transport string) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	if len(q.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	question := q.Question[0]
	name := key(question.Name)
	s.mu.Lock()
	s.queries = append(s.queries, Query{Name: name, Type: dns.TypeToString[question.Qtype], Transport: transport})
	delay := s.delay
	found := false
	for hops := 0; hops < 16; hops++ {
		rrs, ok := s.lookup(name)
		if !ok {
			break
		}
		found = true
		next := ""
		for _, rr := range rrs {
			switch {
			case rr.Header().Rrtype == question.Qtype:
				m.Answer = append(m.Answer, dns.Copy(rr))
			case rr.Header().Rrtype == dns.TypeCNAME && question.Qtype != dns.TypeCNAME:
				m.Answer = append(m.Answer, dns.Copy(rr))
				next = key(rr.(*dns.CNAME).Target)
			}
		}
		if next == "" {
			break
		}
		name = next
	}
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if !found {
		m.Rcode = dns.RcodeNameError
	}
	if len(m.Answer) == 0 || !found {
		soa, _ := dns.NewRR(". 60 IN SOA ns.test. admin.test. 1 3600 600 86400 30")
		m.Ns = append(m.Ns, soa)
	}
	return m
}

// lookup returns the records of name, or of the closest wildcard above it
// ("*.test." answers every name under test, "*." every name). The records
// of a wildcard are given the name asked. s.mu is held.
func (s *Server) lookup(name string) ([]dns.RR, bool) {
	if rrs, ok := s.rrs[name]; ok {
		return rrs, true
	}
	for parent := name; parent != ""; {
		_, rest, found := strings.Cut(parent, ".")
		parent = rest
		w := "*"
		if found && rest != "" {
			w = "*." + rest
		}
		if rrs, ok := s.rrs[w]; ok {
			out := make([]dns.RR, len(rrs))
			for i, rr := range rrs {
				out[i] = dns.Copy(rr)
				out[i].Header().Name = dns.Fqdn(name)
			}
			return out, true
		}
		if !found {
			break
		}
	}
	return nil, false
}

// Queries returns the questions asked so far.
func (s *Server) Queries() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Query(nil), s.queries...)
}

// Count returns how many questions about name came by transport ("" for
// any).
func (s *Server) Count(name, transport string) int {
	n := 0
	for _, q := range s.Queries() {
		if q.Name == key(name) && (transport == "" || q.Transport == transport) {
			n++
		}
	}
	return n
}

// Reset forgets the questions asked so far.
func (s *Server) Reset() {
	s.mu.Lock()
	s.queries = nil
	s.mu.Unlock()
}

// Stop closes every server: from then on connections are refused.
func (s *Server) Stop() {
	s.mu.Lock()
	stops := s.stops
	s.stops = nil
	s.stopped = true
	s.mu.Unlock()
	for _, f := range stops {
		f()
	}
}

// Resolver is a Go resolver that sends every question to the plain server
// (a "system resolver" for tests).
func (s *Server) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, s.Plain)
	}}
}

func key(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// certificate makes a test CA and a server certificate it signed.
func certificate() (tls.Certificate, []byte, *x509.CertPool, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dnstest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "dns.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames:    []string{"dns.test", "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}, caPEM, pool, nil
}
