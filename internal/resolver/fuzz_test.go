// SPDX-License-Identifier: GPL-3.0-or-later

package resolver

import (
	"testing"

	"github.com/miekg/dns"
)

// seedAnswer packs an answer from zone lines, for the fuzz corpus.
func seedAnswer(f *testing.F, name string, t uint16, rcode int, lines ...string) []byte {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), t)
	m.Response, m.Rcode = true, rcode
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			f.Fatal(err)
		}
		m.Answer = append(m.Answer, rr)
	}
	b, err := m.Pack()
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzParseReply feeds arbitrary answers to the parser of encrypted
// lookups: it must never panic, and what it returns must follow from the
// question (a bounded, loop-free chain; addresses of the asked family;
// a well-formed ECH list; a bounded TTL).
func FuzzParseReply(f *testing.F) {
	f.Add(seedAnswer(f, "a.test", dns.TypeA, 0, "a.test. 60 IN CNAME b.test.", "b.test. 60 IN A 127.0.0.1"), uint8(0))
	f.Add(seedAnswer(f, "a.test", dns.TypeAAAA, 0, "a.test. 60 IN CNAME a.test.", "a.test. 60 IN AAAA ::1"), uint8(1))
	f.Add(seedAnswer(f, "e.test", dns.TypeHTTPS, 0, `e.test. 60 IN HTTPS 1 . ech="AAj+DQAEAQIDBA=="`), uint8(2))
	f.Add(seedAnswer(f, "nx.test", dns.TypeA, dns.RcodeNameError), uint8(0))
	types := []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeHTTPS}
	f.Fuzz(func(t *testing.T, wire []byte, which uint8) {
		qt := types[int(which)%len(types)]
		m := new(dns.Msg)
		name := "a.test"
		if m.Unpack(wire) == nil && len(m.Question) == 1 {
			name = normalize(m.Question[0].Name)
		}
		r, err := parseReply(name, qt, wire)
		if err != nil {
			return
		}
		if len(r.chain) > maxChain {
			t.Fatalf("chain of %d names", len(r.chain))
		}
		seen := map[string]bool{name: true}
		for _, c := range r.chain {
			if seen[c] {
				t.Fatalf("chain %v loops", r.chain)
			}
			seen[c] = true
		}
		for _, a := range r.addrs {
			if a.Is4() != (qt == dns.TypeA) || !a.IsValid() {
				t.Fatalf("address %v in the answer to a %s question", a, dns.TypeToString[qt])
			}
		}
		if r.ech != nil && !validECHList(r.ech) {
			t.Fatalf("malformed ECH list %x", r.ech)
		}
		if r.ttl > maxTTL || r.ttl < 0 {
			t.Fatalf("TTL %v", r.ttl)
		}
	})
}

// FuzzECHList checks the ECHConfigList shape check never panics and only
// accepts lists whose lengths add up.
func FuzzECHList(f *testing.F) {
	f.Add([]byte{0x00, 0x08, 0xfe, 0x0d, 0x00, 0x04, 1, 2, 3, 4})
	f.Add([]byte{0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		if !validECHList(b) {
			return
		}
		if int(b[0])<<8|int(b[1]) != len(b)-2 {
			t.Fatalf("accepted %x with a wrong length", b)
		}
	})
}
