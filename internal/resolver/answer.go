// SPDX-License-Identifier: GPL-3.0-or-later

package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Queries and answers of an encrypted lookup. The answer comes from a server
// the user trusts with the name, but it is still parsed as untrusted input:
// only records on the queried name or on the CNAME chain starting from it
// count, the chain is bounded and loop-free, and every TTL is clamped.

// maxChain bounds a CNAME chain (resolvers stop around 8 to 16).
const maxChain = 16

// paddingBlock is the block size queries are padded to (RFC 8467's
// recommended 128 octets), so the length of a query says little about the
// name in it.
const paddingBlock = 128

// newQuery packs a query for name (lower case, no final dot) and type t,
// with ID 0 (RFC 8484 §4.1: cache-friendly for DoH; DoT sets its own) and
// EDNS(0) padding.
func newQuery(name string, t uint16) ([]byte, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), t)
	m.Id = 0
	m.RecursionDesired = true
	opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	opt.SetUDPSize(dns.DefaultMsgSize)
	pad := &dns.EDNS0_PADDING{}
	opt.Option = append(opt.Option, pad)
	m.Extra = append(m.Extra, opt)
	n := m.Len()
	if rem := n % paddingBlock; rem != 0 {
		pad.Padding = make([]byte, paddingBlock-rem)
	}
	return m.Pack()
}

// reply is one parsed answer.
type reply struct {
	addrs []netip.Addr
	chain []string
	ech   []byte
	ttl   time.Duration
}

// parseReply reads the answer to a query for name and type t from its wire
// form. A name that does not exist gives a *net.DNSError with IsNotFound
// and the negative TTL; a server failure a *net.DNSError too.
func parseReply(name string, t uint16, wire []byte) (reply, error) {
	m := new(dns.Msg)
	if err := m.Unpack(wire); err != nil {
		return reply{}, fmt.Errorf("malformed DNS answer: %w", err)
	}
	return readMsg(name, t, m)
}

func readMsg(name string, t uint16, m *dns.Msg) (reply, error) {
	if !m.Response || len(m.Question) != 1 || m.Question[0].Qtype != t ||
		normalize(m.Question[0].Name) != name {
		return reply{}, errors.New("the DNS answer is not for the question asked")
	}
	switch m.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return reply{ttl: negativeTTL(m)}, notFound(name)
	default:
		return reply{}, &net.DNSError{Err: "server answered " + dns.RcodeToString[m.Rcode], Name: name, IsTemporary: m.Rcode == dns.RcodeServerFailure}
	}
	var r reply
	ttl := uint32(maxTTL / time.Second)
	use := func(h *dns.RR_Header) { ttl = min(ttl, h.Ttl) }
	owner := name
	seen := map[string]bool{name: true}
	for len(r.chain) < maxChain {
		next := ""
		for _, rr := range m.Answer {
			if c, ok := rr.(*dns.CNAME); ok && normalize(c.Hdr.Name) == owner {
				next = normalize(c.Target)
				use(&c.Hdr)
				break
			}
		}
		if next == "" || seen[next] {
			break
		}
		seen[next] = true
		r.chain = append(r.chain, next)
		owner = next
	}
	for _, rr := range m.Answer {
		h := rr.Header()
		if normalize(h.Name) != owner || h.Rrtype != t {
			continue
		}
		switch v := rr.(type) {
		case *dns.A:
			if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
				r.addrs = append(r.addrs, a)
				use(h)
			}
		case *dns.AAAA:
			if a, ok := netip.AddrFromSlice(v.AAAA.To16()); ok && !a.Is4In6() {
				r.addrs = append(r.addrs, a)
				use(h)
			}
		case *dns.HTTPS:
			if ech := echOf(&v.SVCB); ech != nil && r.ech == nil {
				r.ech = ech
				use(h)
			}
		}
	}
	r.ttl = time.Duration(ttl) * time.Second
	if len(r.addrs) == 0 && r.ech == nil {
		r.ttl = negativeTTL(m) // NODATA: cached like a negative answer
	}
	return r, nil
}

// echOf returns the ECHConfigList of a service-mode HTTPS record, or nil.
func echOf(s *dns.SVCB) []byte {
	if s.Priority == 0 { // alias mode carries no parameters
		return nil
	}
	for _, kv := range s.Value {
		if e, ok := kv.(*dns.SVCBECHConfig); ok && validECHList(e.ECH) {
			return append([]byte(nil), e.ECH...)
		}
	}
	return nil
}

// validECHList checks the outer shape of an ECHConfigList (a 2-byte
// length covering the rest, then ECHConfigs of a 2-byte version and a
// 2-byte length each); crypto/tls checks the rest when it uses it.
func validECHList(b []byte) bool {
	if len(b) < 2 || int(b[0])<<8|int(b[1]) != len(b)-2 || len(b) == 2 {
		return false
	}
	for rest := b[2:]; len(rest) > 0; {
		if len(rest) < 4 {
			return false
		}
		n := int(rest[2])<<8 | int(rest[3])
		if len(rest) < 4+n {
			return false
		}
		rest = rest[4+n:]
	}
	return true
}

// negativeTTL is how long a negative answer may be kept (RFC 2308: the
// smaller of the SOA's TTL and its MINIMUM), bounded by negTTL.
func negativeTTL(m *dns.Msg) time.Duration {
	for _, rr := range m.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return min(time.Duration(min(soa.Hdr.Ttl, soa.Minttl))*time.Second, negTTL)
		}
	}
	return negTTL
}

// resolveEncrypted asks the encrypted server for A and AAAA (and HTTPS
// when configured) at once and joins the answers.
func (r *Resolver) resolveEncrypted(ctx context.Context, host string) (Answer, time.Duration, error) {
	types := []uint16{dns.TypeAAAA, dns.TypeA} // IPv6 first (RFC 8305)
	if r.cfg.HTTPSRecords {
		types = append(types, dns.TypeHTTPS)
	}
	type result struct {
		rep reply
		err error
	}
	results := make([]result, len(types))
	var wg sync.WaitGroup
	for i, t := range types {
		wg.Go(func() {
			rep, err := r.query(ctx, host, t)
			results[i] = result{rep, err}
		})
	}
	wg.Wait()
	var ans Answer
	ttl, neg := maxTTL, negTTL
	var firstErr error
	for i, res := range results {
		if res.err != nil {
			if isUnreachable(res.err) {
				return Answer{}, 0, res.err
			}
			if types[i] != dns.TypeHTTPS && firstErr == nil {
				firstErr = res.err
			}
			if res.rep.ttl > 0 {
				neg = min(neg, res.rep.ttl)
			}
			continue
		}
		if types[i] == dns.TypeHTTPS {
			ans.ECH = res.rep.ech
			if ans.ECH != nil {
				ttl = min(ttl, res.rep.ttl)
			}
			continue
		}
		if len(res.rep.addrs) == 0 {
			neg = min(neg, res.rep.ttl) // NODATA for this type
		} else {
			ans.Addrs = append(ans.Addrs, res.rep.addrs...)
			ttl = min(ttl, res.rep.ttl)
		}
		if len(res.rep.chain) > len(ans.CNAMEs) {
			ans.CNAMEs = res.rep.chain
		}
	}
	if len(ans.Addrs) == 0 {
		if firstErr == nil {
			firstErr = &net.DNSError{Err: "no address for this name", Name: host, IsNotFound: true}
		}
		return Answer{}, min(ttl, neg), firstErr
	}
	return ans, clampTTL(ttl), nil
}

// query sends one question to the encrypted server.
func (r *Resolver) query(ctx context.Context, host string, t uint16) (reply, error) {
	q, err := newQuery(host, t)
	if err != nil {
		return reply{}, &net.DNSError{Err: err.Error(), Name: host}
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	r.queries.Add(1)
	wire, err := r.upstream.exchange(ctx, q)
	if err != nil {
		err = &UnreachableError{Server: r.cfg.Server.URL, Err: err}
		r.failed(err)
		return reply{}, err
	}
	r.answered()
	return parseReply(host, t, wire)
}
