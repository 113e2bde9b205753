// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import "testing"

// BenchmarkHonorsDNTPolicy is the EFF-policy predicate the blocking code
// asks on the request path: no lock, no allocation.
func BenchmarkHonorsDNTPolicy(b *testing.B) {
	p, err := New(Config{Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	p.SetPolicy(Policy{Protection: true, HonorDNTPolicy: true})
	p.SetDNTPolicySites([]string{"fair-ads.example"})
	b.ReportAllocs()
	for b.Loop() {
		p.HonorsDNTPolicy("tracker.example")
	}
}
