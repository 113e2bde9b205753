// SPDX-License-Identifier: GPL-3.0-or-later

package ca

import (
	"crypto/tls"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// BenchmarkLeafIssue measures a cold leaf: key generation and signing.
func BenchmarkLeafIssue(b *testing.B) {
	c := loadTemp(b)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.issue("www.example.com", netip.Addr{}, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLeafMiss measures TLSConfigForHost for a host never seen: the
// cache miss path, issuance included, with eviction from a full cache.
func BenchmarkLeafMiss(b *testing.B) {
	c := loadTemp(b, WithLeafCacheSize(64))
	hosts := make([]string, 4096)
	for i := range hosts {
		hosts[i] = "h" + strconv.Itoa(i) + ".example.com:443"
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := c.TLSConfigForHost(hosts[i%len(hosts)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkLeafCached measures a repeat lookup, as for every CONNECT to a
// host seen before.
func BenchmarkLeafCached(b *testing.B) {
	c := loadTemp(b)
	if _, err := c.TLSConfigForHost("www.example.com:443"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.TLSConfigForHost("www.example.com:443"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLeafCachedParallel is BenchmarkLeafCached from all CPUs over
// 256 hosts, to show lock contention.
func BenchmarkLeafCachedParallel(b *testing.B) {
	c := loadTemp(b)
	hosts := make([]string, 256)
	for i := range hosts {
		hosts[i] = "h" + strconv.Itoa(i) + ".example.com:443"
		if _, err := c.TLSConfigForHost(hosts[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := c.TLSConfigForHost(hosts[i%len(hosts)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkHandshake measures a full TLS 1.3 handshake (client verifying
// the chain) against a cached leaf config, cloned per connection as
// goproxy does; Resumed uses session tickets.
func BenchmarkHandshake(b *testing.B) {
	for _, resume := range []bool{false, true} {
		name := "Full"
		if resume {
			name = "Resumed"
		}
		b.Run(name, func(b *testing.B) {
			c := loadTemp(b)
			client := &tls.Config{RootCAs: rootPool(c), ServerName: "www.example.com", NextProtos: []string{"http/1.1"}}
			if resume {
				client.ClientSessionCache = tls.NewLRUClientSessionCache(8)
			}
			b.ReportAllocs()
			resumed, n := 0, 0
			for b.Loop() {
				n++
				cs, ss := net.Pipe()
				errc := make(chan error, 1)
				go func() {
					cfg, err := c.TLSConfigForHost("www.example.com:443")
					if err == nil {
						srv := tls.Server(ss, cfg.Clone())
						err = srv.Handshake()
						if err == nil {
							_, err = srv.Write([]byte{1}) // delivers the session ticket
						}
					}
					ss.Close()
					errc <- err
				}()
				cl := tls.Client(cs, client)
				if err := cl.Handshake(); err != nil {
					b.Fatal(err)
				}
				buf := make([]byte, 1)
				if _, err := cl.Read(buf); err != nil {
					b.Fatal(err)
				}
				if cl.ConnectionState().DidResume {
					resumed++
				}
				cl.Close()
				if err := <-errc; err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(resumed)/float64(n), "resumed/op")
		})
	}
}
