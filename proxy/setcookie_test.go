// SPDX-License-Identifier: GPL-3.0-or-later

package proxy

import (
	"strings"
	"testing"
	"time"
)

var cookieNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestCapSetCookie(t *testing.T) {
	const day = 24 * time.Hour
	exp := "Max-Age=86400; Expires=Mon, 02 Mar 2026 12:00:00 GMT"
	tests := []struct {
		name, in, want string // want "" means unchanged
	}{
		{"max-age over the cap", "id=1; Path=/; Max-Age=31536000; Secure", "id=1; Path=/; Secure; " + exp},
		{"max-age under the cap", "id=1; Max-Age=3600", ""},
		{"max-age equal to the cap", "id=1; Max-Age=86400", ""},
		{"expires over the cap", "id=1; Expires=Wed, 01 Mar 2028 00:00:00 GMT; HttpOnly", "id=1; HttpOnly; " + exp},
		{"expires under the cap", "id=1; Expires=Sun, 01 Mar 2026 18:00:00 GMT", ""},
		{"netscape date with dashes", "id=1; expires=Wednesday, 01-Mar-28 00:00:00 GMT", "id=1; " + exp},
		{"asctime date", "id=1; Expires=Wed Mar  1 00:00:00 2028", "id=1; " + exp},
		{"max-age wins over expires", "id=1; Expires=Wed, 01 Mar 2028 00:00:00 GMT; Max-Age=60", ""},
		{"the last max-age counts", "id=1; Max-Age=60; max-age=99999999", "id=1; " + exp},
		{"an invalid max-age is ignored", "id=1; Max-Age=12x; Expires=Wed, 01 Mar 2028 00:00:00 GMT", "id=1; " + exp},
		{"session cookie", "id=1; Path=/; SameSite=None; Secure", ""},
		{"deleted by max-age 0", "id=; Max-Age=0", ""},
		{"deleted by negative max-age", "id=; Max-Age=-1", ""},
		{"deleted by a past date", "id=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", ""},
		{"unparsable expires", "id=1; Expires=soon", ""},
		{"huge max-age saturates", "id=1; Max-Age=99999999999999999999999", "id=1; " + exp},
		{"case and spacing", "  id = 1 ;MAX-AGE = 999999 ;  domain=.tracker.example", "id = 1; domain=.tracker.example; " + exp},
		{"no attributes", "id=1", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := capSetCookie(tt.in, day, cookieNow)
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if got != want || changed != (tt.want != "") {
				t.Errorf("capSetCookie(%q) = %q, %v; want %q, %v", tt.in, got, changed, want, tt.want != "")
			}
		})
	}
}

func TestParseCookieDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339, "" for invalid
	}{
		{"Wed, 21 Oct 2015 07:28:00 GMT", "2015-10-21T07:28:00Z"},
		{"Wednesday, 21-Oct-15 07:28:00 GMT", "2015-10-21T07:28:00Z"},
		{"Wed Oct 21 07:28:00 2015", "2015-10-21T07:28:00Z"},
		{"21 oct 1999 7:8:9", "1999-10-21T07:08:09Z"},
		{"Thu, 01 Jan 70 00:00:00 GMT", "1970-01-01T00:00:00Z"},
		{"Sat, 01 Jan 69 00:00:00 GMT", "2069-01-01T00:00:00Z"},
		{"Fri, 30 Feb 2024 00:00:00 GMT", ""},
		{"Fri, 32 Jan 2024 00:00:00 GMT", ""},
		{"Fri, 01 Jan 2024 24:00:00 GMT", ""},
		{"Fri, 01 Jan 1600 00:00:00 GMT", ""},
		{"01 Jan 2024", ""},
		{"", ""},
		{"123:45:67 Jan 2024 1", ""},
	}
	for _, tt := range tests {
		tm, ok := parseCookieDate(tt.in)
		got := ""
		if ok {
			got = tm.Format(time.RFC3339)
		}
		if got != tt.want {
			t.Errorf("parseCookieDate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzCapSetCookie(f *testing.F) {
	for _, s := range []string{"id=1; Max-Age=31536000", "id=1; Expires=Wed, 21-Oct-2035 07:28:00 GMT; Path=/",
		"a=b;;;max-age=-0;expires=;", "x; Expires=1 jan 99 1:1:1; Max-Age=00000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, changed := capSetCookie(v, time.Hour, cookieNow)
		if !changed {
			if got != v {
				t.Fatalf("capSetCookie(%q) changed the value but says it did not: %q", v, got)
			}
			return
		}
		if !strings.Contains(got, "; Max-Age=3600; Expires=") {
			t.Fatalf("capSetCookie(%q) = %q: no cap", v, got)
		}
		if life, ok := cookieLifetime(got, cookieNow); !ok || life > time.Hour {
			t.Fatalf("capSetCookie(%q) = %q: lifetime %v, %v", v, got, life, ok)
		}
		if again, changed := capSetCookie(got, time.Hour, cookieNow); changed {
			t.Fatalf("capping %q twice changed it again: %q", got, again)
		}
	})
}

func BenchmarkCapSetCookie(b *testing.B) {
	for _, v := range []string{
		"_ga=GA1.2.1234567890.1700000000; Path=/; Domain=.tracker.example; Max-Age=63072000; SameSite=None; Secure",
		"id=abc; expires=Wed, 21-Oct-2035 07:28:00 GMT; path=/; HttpOnly",
		"sess=1; Path=/; HttpOnly",
	} {
		name, _, _ := strings.Cut(v, "=")
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				capSetCookie(v, 24*time.Hour, cookieNow)
			}
		})
	}
}
