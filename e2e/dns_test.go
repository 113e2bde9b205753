// SPDX-License-Identifier: GPL-3.0-or-later

package e2e

// The DNS stub of the test network namespace (netns_test.go): 127.0.0.1:53
// over UDP and TCP, the only resolver in /etc/resolv.conf there. It answers
// the test names (*.test, *.example, and names under example.com, .net and
// .org, which browsers take for public names) with the loopback address of
// their origin (web_test.go: 127.0.0.1 unless a site says otherwise),
// refuses every other name (NXDOMAIN), and records every question so that a
// test can tell who looked up what (a browser going through Polaris should
// look up nothing itself).

import (
	be "encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsQuery is one question the stub was asked.
type dnsQuery struct {
	Name string // lower case, no trailing dot
	Type string // "A", "AAAA", ...
	Time time.Time
}

var dnsStub struct {
	mu      sync.Mutex
	queries []dnsQuery
	addrs   map[string][]netip.Addr // names with their own addresses (setDNS)
}

// dnsQueries returns the questions asked since the namespace started.
func dnsQueries() []dnsQuery {
	dnsStub.mu.Lock()
	defer dnsStub.mu.Unlock()
	return append([]dnsQuery(nil), dnsStub.queries...)
}

// dnsLookupsOf returns how many questions named host.
func dnsLookupsOf(host string) int {
	n := 0
	for _, q := range dnsQueries() {
		if q.Name == host {
			n++
		}
	}
	return n
}

// setDNS makes the stub answer name with addrs, in this order.
func setDNS(name string, addrs ...netip.Addr) {
	dnsStub.mu.Lock()
	defer dnsStub.mu.Unlock()
	if dnsStub.addrs == nil {
		dnsStub.addrs = map[string][]netip.Addr{}
	}
	dnsStub.addrs[strings.ToLower(name)] = addrs
}

// dnsAnswer returns the IPv4 addresses of a test name, or false.
func dnsAnswer(name string) ([]netip.Addr, bool) {
	dnsStub.mu.Lock()
	a, ok := dnsStub.addrs[name]
	dnsStub.mu.Unlock()
	if ok {
		return a, true
	}
	for _, zone := range []string{".test", ".example", ".example.com", ".example.net", ".example.org"} {
		if strings.HasSuffix(name, zone) || name == zone[1:] {
			return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}, true
		}
	}
	return nil, false
}

func startDNS() error {
	pc, err := net.ListenPacket("udp", "127.0.0.1:53")
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:53")
	if err != nil {
		pc.Close()
		return err
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := dnsReply(buf[:n]); out != nil {
				pc.WriteTo(out, from)
			}
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveDNSConn(c)
		}
	}()
	return nil
}

func serveDNSConn(c net.Conn) {
	defer c.Close()
	for {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		msg := make([]byte, be.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(c, msg); err != nil {
			return
		}
		out := dnsReply(msg)
		if out == nil {
			return
		}
		c.Write(append(be.BigEndian.AppendUint16(nil, uint16(len(out))), out...))
	}
}

// dnsReply answers one query message (nil: not a query worth answering).
func dnsReply(in []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(in)
	if err != nil || h.Response {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.TrimSuffix(strings.ToLower(q.Name.String()), ".")
	dnsStub.mu.Lock()
	dnsStub.queries = append(dnsStub.queries, dnsQuery{Name: name, Type: strings.TrimPrefix(q.Type.String(), "Type"), Time: time.Now()})
	dnsStub.mu.Unlock()
	addrs, ok := dnsAnswer(name)
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	if !ok {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	if ok && q.Type == dnsmessage.TypeA && q.Class == dnsmessage.ClassINET {
		for _, addr := range addrs {
			b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 5}, dnsmessage.AResource{A: addr.As4()})
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}
