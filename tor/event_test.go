// SPDX-License-Identifier: GPL-3.0-or-later

package tor

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSplitReply(t *testing.T) {
	tests := []struct {
		in    string
		words []string
		args  map[string]string
	}{
		{"", nil, map[string]string{}},
		{`NOTICE BOOTSTRAP PROGRESS=50 TAG=loading_descriptors SUMMARY="Loading relay descriptors"`,
			[]string{"NOTICE", "BOOTSTRAP"}, map[string]string{"PROGRESS": "50", "TAG": "loading_descriptors", "SUMMARY": "Loading relay descriptors"}},
		{`"127.0.0.1:9050" "[::1]:9050"`, []string{"127.0.0.1:9050", "[::1]:9050"}, map[string]string{}},
		{`A="x \"quoted\" \\ back" B= C`, []string{"C"}, map[string]string{"A": `x "quoted" \ back`, "B": ""}},
		{`K="unterminated value`, nil, map[string]string{"K": "unterminated value"}},
		{`  spaced   out  `, []string{"spaced", "out"}, map[string]string{}},
		{`esc="a\nb\tc"`, nil, map[string]string{"esc": "a\nb\tc"}},
	}
	for _, tt := range tests {
		words, args := splitReply(tt.in)
		if diff := cmp.Diff(tt.words, words); diff != "" {
			t.Errorf("splitReply(%q) words mismatch (-want +got):\n%s", tt.in, diff)
		}
		if diff := cmp.Diff(tt.args, args); diff != "" {
			t.Errorf("splitReply(%q) args mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in       string
		severity string
		action   string
		progress int
		ok       bool
		summary  string
	}{
		{`NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"`, "NOTICE", "BOOTSTRAP", 100, true, "Done"},
		{`NOTICE BOOTSTRAP PROGRESS=14 TAG=handshake SUMMARY="Handshaking with a relay"`, "NOTICE", "BOOTSTRAP", 14, true, "Handshaking with a relay"},
		{`WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" WARNING="Connection refused" REASON=CONNECTREFUSED COUNT=3 RECOMMENDATION=ignore HOSTID="0000" HOSTADDR="127.0.0.1:1"`,
			"WARN", "BOOTSTRAP", 5, true, "Connecting to a relay"},
		{`NOTICE BOOTSTRAP PROGRESS=250`, "NOTICE", "BOOTSTRAP", 100, true, ""},
		{`NOTICE BOOTSTRAP PROGRESS=-3`, "NOTICE", "BOOTSTRAP", 0, true, ""},
		{`WARN CLOCK_SKEW SKEW=-7200 SOURCE=OR:1.2.3.4:443`, "WARN", "CLOCK_SKEW", 0, false, ""},
		{`garbage`, "garbage", "", 0, false, ""},
	}
	for _, tt := range tests {
		ev := parseStatus(tt.in)
		p, ok := ev.progress()
		if ev.Severity != tt.severity || ev.Action != tt.action || p != tt.progress || ok != tt.ok || ev.Args["SUMMARY"] != tt.summary {
			t.Errorf("parseStatus(%q) = %+v, progress %d %v; want %s %s %d %v %q", tt.in, ev, p, ok, tt.severity, tt.action, tt.progress, tt.ok, tt.summary)
		}
	}
}

func TestParseCircuit(t *testing.T) {
	line := `7 BUILT $3D03B98D1A3D3EEB87119F0E943E63951A01414C~auth0,$0f9a7f1cce9771ff94a9f798df608304169bf63d=auth1,$CEE6CE8FC22E1A86A1F06ECB0C0C13EB75E31C31 BUILD_FLAGS=NEED_CAPACITY PURPOSE=CONFLUX_LINKED TIME_CREATED=2026-11-21T18:03:20.482046 SOCKS_USERNAME="a.example" SOCKS_PASSWORD="polaris" CONFLUX_ID=A4D9`
	got, ok := parseCircuit(line)
	want := circuitLine{
		ID: "7", Status: "BUILT", Purpose: "CONFLUX_LINKED",
		Path: []hop{
			{"3D03B98D1A3D3EEB87119F0E943E63951A01414C", "auth0"},
			{"0F9A7F1CCE9771FF94A9F798DF608304169BF63D", "auth1"},
			{"CEE6CE8FC22E1A86A1F06ECB0C0C13EB75E31C31", ""},
		},
		Created: time.Date(2026, 11, 21, 18, 3, 20, 482046000, time.UTC),
		User:    "a.example", Pass: "polaris", HasUser: true,
	}
	if diff := cmp.Diff(want, got); !ok || diff != "" {
		t.Errorf("parseCircuit mismatch (-want +got):\n%s", diff)
	}
	got, ok = parseCircuit(`12 LAUNCHED BUILD_FLAGS=NEED_CAPACITY PURPOSE=GENERAL TIME_CREATED=2026-11-21T18:03:20.482046`)
	if !ok || got.ID != "12" || got.Status != "LAUNCHED" || len(got.Path) != 0 || got.HasUser {
		t.Errorf("parseCircuit(launched) = %+v, %v; want ID 12, LAUNCHED, no path, no user", got, ok)
	}
	if _, ok := parseCircuit("7"); ok {
		t.Error("parseCircuit(\"7\") = ok, want not ok")
	}
}

func TestParseStream(t *testing.T) {
	got, ok := parseStream(`24 SUCCEEDED 22 127.0.0.1:23999 SOCKS_USERNAME="site.example" SOCKS_PASSWORD="x" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=1`)
	want := streamLine{ID: "24", Status: "SUCCEEDED", Circuit: "22", Target: "127.0.0.1:23999", User: "site.example", HasUser: true}
	if diff := cmp.Diff(want, got); !ok || diff != "" {
		t.Errorf("parseStream mismatch (-want +got):\n%s", diff)
	}
	if _, ok := parseStream("24 NEW 0"); ok {
		t.Error("parseStream(short) = ok, want not ok")
	}
}

func TestParseNS(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\r\nr exit0 zubOj8IuGoah8G7LDAwT63XjHDE +GsDSvrMKpGkeqFlCHKXp5v3ztI 2038-01-01 00:00:00 127.0.0.1 23503 0\ns Exit Fast\nw Bandwidth=4", "127.0.0.1"},
		{"r microdesc zubOj8IuGoah8G7LDAwT63XjHDE 2038-01-01 00:00:00 192.0.2.9 443 0", "192.0.2.9"},
		{"", ""},
		{"r short", ""},
	}
	for _, tt := range tests {
		if got := parseNS(tt.in); got != tt.want {
			t.Errorf("parseNS(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		ok   bool
		old  bool
	}{
		{"Tor version 0.4.9.11.", []int{0, 4, 9, 11}, true, false},
		{"Tor version 0.4.8.1-alpha (git-abc).", []int{0, 4, 8, 1}, true, false},
		{"0.4.7.16 (git-1234)", []int{0, 4, 7, 16}, true, true},
		{"Tor version 0.3.5.7.", []int{0, 3, 5, 7}, true, true},
		{"1.0.0", []int{1, 0, 0}, true, false},
		{"not tor", nil, false, false},
		{"Tor version x.y.z.", nil, false, false},
	}
	for _, tt := range tests {
		got, ok := parseVersion(tt.in)
		if diff := cmp.Diff(tt.want, got); ok != tt.ok || diff != "" {
			t.Errorf("parseVersion(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && versionLess(got, minVersion) != tt.old {
			t.Errorf("versionLess(%v, %v) = %v, want %v", got, minVersion, !tt.old, tt.old)
		}
	}
}

func FuzzSplitReply(f *testing.F) {
	f.Add(`NOTICE BOOTSTRAP PROGRESS=50 TAG=x SUMMARY="Loading \"relay\" descriptors"`)
	f.Add(`7 BUILT $AB~n,$CD=m PURPOSE=GENERAL SOCKS_USERNAME="a\\"`)
	f.Add(`"\`)
	f.Add(`WARN CLOCK_SKEW SKEW=-10799 SOURCE=OR:127.0.0.1:23001`)
	f.Add(`WARN BOOTSTRAP PROGRESS=5 TAG=conn WARNING="Clock skew -10799 in NETINFO cell from OR" REASON=CLOCK_SKEW`)
	f.Fuzz(func(t *testing.T, s string) {
		splitReply(s)
		ev := parseStatus(s)
		ev.progress()
		bootstrapWarning(ev, true)
		if cs, ok := parseClockSkew(ev); ok {
			cs.explain(false)
			cs.explain(true)
		}
		parseCircuit(s)
		parseStream(s)
		parseNS(s)
		parseVersion(s)
	})
}

func BenchmarkParseStatus(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		parseStatus(`NOTICE BOOTSTRAP PROGRESS=50 TAG=loading_descriptors SUMMARY="Loading relay descriptors"`)
	}
}

func BenchmarkParseStream(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		parseStream(`24 SUCCEEDED 22 127.0.0.1:23999 SOCKS_USERNAME="site.example" SOCKS_PASSWORD="x" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=1 SESSION_GROUP=-4 ISO_FIELDS=SOCKS_USERNAME,SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP,NYM_EPOCH`)
	}
}
