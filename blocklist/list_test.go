// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Format
	}{
		{"abp header", "[Adblock Plus 2.0]\n||a.com^\n", FormatABP},
		{"abp rules", "||a.com^\n/ads/*\n@@||b.com^\n", FormatABP},
		{"hosts", "# x\n0.0.0.0 a.com\n127.0.0.1 b.com c.com\n", FormatHosts},
		{"domains", "# x\na.com\nb.example.org\n", FormatDomains},
		{"resources", "# surrogates\nnoop.js application/javascript\n(function(){})();\n", FormatResources},
		{"tds", `{"trackers":{},"entities":{},"domains":{}}`, FormatTDS},
		{"disconnect services", `{"license":"x","categories":{}}`, FormatDisconnectServices},
		{"disconnect entities", `{"license":"x","entities":{}}`, FormatDisconnectEntities},
		{"ddg config", `{"version":1,"features":{}}`, FormatDDGConfig},
		{"ddg feature", `{"state":"enabled","settings":{"blockedRequests":{}}}`, FormatDDGConfig},
		{"bom", "\ufeff0.0.0.0 a.com\n", FormatHosts},
		{"broken json", `{"trackers":`, FormatABP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DetectFormat(tt.text); got != tt.want {
				t.Errorf("DetectFormat(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text string
		format     Format
		wantErr    error
	}{
		{"empty", "", FormatAuto, ErrNoRules},
		{"only comments", "! a\n! b\n", FormatABP, ErrNoRules},
		{"only cosmetic", "##.ad\n", FormatABP, ErrNoRules},
		{"only bad", "/(/\n", FormatABP, ErrNoRules},
		{"bad json tds", `{"trackers": 5}`, FormatTDS, nil},
		{"binary", "\x00\x01\x02\xff", FormatAuto, ErrNoRules},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseString(tt.text, ListMeta{Name: "x", Format: tt.format})
			if err == nil {
				t.Fatalf("ParseString(%q) = nil error", tt.text)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("ParseString(%q) = %v, want %v", tt.text, err, tt.wantErr)
				}
				if l == nil {
					t.Errorf("ParseString(%q) returned no List with ErrNoRules", tt.text)
				}
			}
		})
	}
}

func TestParseErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("||ok.example^\n")
	for i := 0; i < 3*maxErrors; i++ {
		fmt.Fprintf(&b, "/(bad%d/\n", i)
	}
	l, err := ParseString(b.String(), ListMeta{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Stats.Bad != 3*maxErrors || len(l.Errors) != maxErrors || l.Errors[0].Line != 2 {
		t.Errorf("Bad = %d, len(Errors) = %d, first line %d", l.Stats.Bad, len(l.Errors), l.Errors[0].Line)
	}
	if s := l.Errors[0].Error(); !strings.Contains(s, "line 2") {
		t.Errorf("Error() = %q, want the line number", s)
	}
}

func TestParseResources(t *testing.T) {
	text := "# resources\nnoop.js application/javascript\n(function(){})();\n\nsite.example/px.gif image/gif;base64\nR0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\n\nbad header line\nbroken.png image/png;base64\n!!!notbase64\n"
	l, err := ParseString(text, ListMeta{Name: "res"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Meta.Format != FormatResources || l.Stats.Resources != 2 || l.Stats.Bad != 2 {
		t.Fatalf("format %v stats %+v errors %v", l.Meta.Format, l.Stats, l.Errors)
	}
	m, err := Compile([]*List{l}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"noop.js", "site.example/px.gif", "px.gif", "1x1.gif", "noopjs", "2x2.png"} {
		if typ, body, ok := m.Surrogate(name); !ok || typ == "" || len(body) == 0 {
			t.Errorf("Surrogate(%q) = %q, %d bytes, %v", name, typ, len(body), ok)
		}
	}
	if _, body, _ := m.Surrogate("px.gif"); string(body[:6]) != "GIF89a" {
		t.Errorf("px.gif not decoded: %q", body[:6])
	}
	if _, _, ok := m.Surrogate("missing"); ok {
		t.Error("Surrogate(missing) ok")
	}
}

func TestFormatNames(t *testing.T) {
	for f := FormatAuto; f <= FormatResources; f++ {
		got, err := ParseFormat(f.String())
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), got, err)
		}
	}
	if _, err := ParseFormat("nope"); err == nil {
		t.Error("ParseFormat(nope) = nil error")
	}
}

// TestCRLF checks that lists with CRLF line ends parse as with LF ones: no
// '\r' is left in rules or in resource bodies.
func TestCRLF(t *testing.T) {
	abp, err := ParseString("! Title: crlf\r\n||a.test^\r\n|https://b.test/x.gif|\r\n", ListMeta{Name: "abp"})
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := ParseString("# hosts\r\n0.0.0.0 c.test\r\n", ListMeta{Name: "hosts"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ParseString("crlf.js application/javascript\r\nvar a;\r\n\r\ncrlf.txt text/plain\r\nhi\r\n", ListMeta{Name: "res"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Resources != 2 || res.Stats.Bad != 0 {
		t.Fatalf("resources: stats %+v, errors %v", res.Stats, res.Errors)
	}
	m, err := Compile([]*List{abp, hosts, res}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		url, rule string
	}{
		{"https://a.test/", "||a.test^"},
		{"https://b.test/x.gif", "|https://b.test/x.gif|"},
		{"https://c.test/", "0.0.0.0 c.test"},
	} {
		if v := m.Match(NewRequest(tt.url, "", TypeImage)); v.Action != Block || v.Rule != tt.rule {
			t.Errorf("Match(%q) = %v (rule %q), want Block (rule %q)", tt.url, v.Action, v.Rule, tt.rule)
		}
	}
	for name, want := range map[string]string{"crlf.js": "var a;", "crlf.txt": "hi"} {
		if _, body, _ := m.Surrogate(name); string(body) != want {
			t.Errorf("Surrogate(%q) body = %q, want %q", name, body, want)
		}
	}
}

// TestListMetaInVerdicts checks that a rule's verdict names its own list,
// whose ListMeta (Source and License included) Matcher.Lists returns:
// Verdict carries the list's name and category, Lists the rest.
func TestListMetaInVerdicts(t *testing.T) {
	metas := []ListMeta{
		{Name: "First", Source: "https://lists.example/first.txt", License: "CC0-1.0", Format: FormatABP},
		{Name: "Second", Source: "/home/u/second.txt", License: "GPL-3.0-only", Category: string(Categories[0]), Format: FormatHosts},
	}
	var lists []*List
	for i, text := range []string{"||first.test^", "0.0.0.0 second.test"} {
		l, err := ParseString(text, metas[i])
		if err != nil {
			t.Fatal(err)
		}
		lists = append(lists, l)
	}
	m, err := Compile(lists, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(metas, m.Lists()); diff != "" {
		t.Errorf("Lists() (-want +got):\n%s", diff)
	}
	for i, url := range []string{"https://first.test/", "https://second.test/"} {
		v := m.Match(NewRequest(url, "", TypeImage))
		if v.List != metas[i].Name || v.Category != metas[i].Category {
			t.Errorf("Match(%q) = list %q, category %q; want %q, %q", url, v.List, v.Category, metas[i].Name, metas[i].Category)
			continue
		}
		var got ListMeta
		for _, meta := range m.Lists() {
			if meta.Name == v.List {
				got = meta
			}
		}
		if got.Source != metas[i].Source || got.License != metas[i].License {
			t.Errorf("Match(%q): list %q has source %q, license %q; want %q, %q", url, v.List, got.Source, got.License, metas[i].Source, metas[i].License)
		}
	}
}
