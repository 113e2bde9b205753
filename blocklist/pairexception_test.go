// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import "testing"

// TestPairException: the rule the window's "allow this tracker on this
// site only" adds to the user's rules (@@||host^$domain=site) lets the
// tracker through on that site and its subdomains, and nowhere else, while
// another list blocks it; "allow everywhere" (@@||host^) lets it through
// on every site.
func TestPairException(t *testing.T) {
	lists := func(user string) []*List {
		l, err := ParseString("||facebook.net^\n", ListMeta{Name: "EasyPrivacy", Format: FormatABP})
		if err != nil {
			t.Fatal(err)
		}
		u, err := ParseString(user, ListMeta{Name: "Your rules", Format: FormatABP})
		if err != nil {
			t.Fatal(err)
		}
		return []*List{l, u}
	}
	for _, tc := range []struct {
		user, site string
		blocked    bool
	}{
		{"@@||connect.facebook.net^$domain=news.example", "https://news.example/a", false},
		{"@@||connect.facebook.net^$domain=news.example", "https://www.news.example/a", false},
		{"@@||connect.facebook.net^$domain=news.example", "https://shop.example/", true},
		{"@@||connect.facebook.net^$domain=news.example", "", true},
		{"@@||connect.facebook.net^", "https://shop.example/", false},
		{"@@||connect.facebook.net^", "", false},
	} {
		m, err := Compile(lists(tc.user), Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := &Request{URL: "https://connect.facebook.net/sdk.js", SourceURL: tc.site, Type: TypeScript}
		if got := m.Match(r).Action.Blocked(); got != tc.blocked {
			t.Errorf("%s, from %q: blocked %v, want %v", tc.user, tc.site, got, tc.blocked)
		}
	}
}
