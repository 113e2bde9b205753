// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"testing"

	"golang.org/x/net/publicsuffix"
)

func TestSite(t *testing.T) {
	for _, tt := range []struct{ host, want string }{
		{"www.example.com", "example.com"},
		{"example.com", "example.com"},
		{"a.b.example.co.uk", "example.co.uk"},
		{"user.github.io", "user.github.io"}, // the private section
		{"co.uk", "co.uk"},
		{"localhost", "localhost"},
		{"192.0.2.1", "192.0.2.1"},
		{"::1", "::1"},
		{"", ""},
	} {
		if got := Site(tt.host); got != tt.want {
			t.Errorf("Site(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}

func TestRegistrableDomain(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"www.Example.com", "example.com"},
		{" example.com. ", "example.com"},
		{"news.example.co.uk", "example.co.uk"},
		{"user.github.io", "user.github.io"},
	} {
		if got, err := RegistrableDomain(tt.in); err != nil || got != tt.want {
			t.Errorf("RegistrableDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "co.uk", "com", "localhost", "192.0.2.1", "::1", "exa mple.com", "a/b.com", "user@example.com",
		"example.com:80", "*.example.com", ".example.com", "a..example.com", "a..", "example.com.."} {
		if got, err := RegistrableDomain(bad); err == nil {
			t.Errorf("RegistrableDomain(%q) = %q, want an error", bad, got)
		}
	}
}

// Site agrees with x/net's EffectiveTLDPlusOne wherever that has an answer.
func FuzzSite(f *testing.F) {
	for _, s := range []string{"www.example.com", "co.uk", "a.b.c.github.io", "localhost", "192.0.2.1", "xn--bcher-kva.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		got := Site(host)
		if want, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil && !isIP(host) && got != want {
			t.Errorf("Site(%q) = %q, EffectiveTLDPlusOne = %q", host, got, want)
		}
		if d, err := RegistrableDomain(host); err == nil && Site(d) != d {
			t.Errorf("RegistrableDomain(%q) = %q, whose Site is %q", host, d, Site(d))
		}
	})
}
