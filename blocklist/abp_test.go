// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// compileRules compiles Adblock Plus rules given inline.
func compileRules(t testing.TB, opts Options, rules ...string) *Matcher {
	t.Helper()
	l, err := ParseString(strings.Join(rules, "\n"), ListMeta{Name: "test", Format: FormatABP})
	if err != nil {
		t.Fatalf("ParseString(%q): %v", rules, err)
	}
	m, err := Compile([]*List{l}, opts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

func TestParseABPLine(t *testing.T) {
	tests := []struct {
		line string
		cls  lineClass
	}{
		{"", lineBlank},
		{"! comment", lineBlank},
		{"[Adblock Plus 2.0]", lineBlank},
		{"# hosts-style comment", lineBlank},
		{"example.com##.ad", lineCosmetic},
		{"##.ad-banner", lineCosmetic},
		{"example.com#@#.ad", lineCosmetic},
		{"example.com#?#div:has(.ad)", lineCosmetic},
		{"example.com##+js(nobab)", lineCosmetic},
		{"example.com#$#abort-on-property-read x", lineCosmetic},
		{"example.com$$script[data-ad]", lineCosmetic},
		{"||ads.example.com^", lineNetwork},
		{"@@||example.com/ads.js$script", lineNetwork},
		{"/banner/*/img^", lineNetwork},
		{"|https://ads.", lineNetwork},
		{"/^https?:\\/\\/[a-z]{8}\\.xyz\\//$script", lineNetwork},
		{"||x.com^$third-party,domain=a.com|~b.a.com", lineNetwork},
		{"||x.com^$csp=script-src 'none'", lineNetwork},
		{"||x.com^$permissions=camera=()", lineIgnored},
		{"||x.com^$popup", lineIgnored},
		{"@@||x.com^$generichide", lineIgnored},
		{"||x.com^$popup,script", lineNetwork},
		{"||x.com^$redirect=noop.js,script", lineNetwork},
		{"||x.com^$redirect-rule=noop.js", lineNetwork},
		{"||x.com^$removeparam=utm_source", lineNetwork},
		{"||x.com^$important,badfilter", lineNetwork},
		{"||x.com^$denyallow=cdn.x.com,domain=a.com", lineNetwork},
		{"||x.com^$method=post|~get", lineNetwork},
		{"||x.com^$stealth", lineInert},
		{"||rmp.test^$removeparam=/^utm$/", lineNetwork},
		{"||rmp.test^$removeparam=/^a$|^b$/,3p", lineNetwork},
		{"||x.com/a$b$stealth", lineInert},
		{"||x.com/Ads$match-case", lineInert},
		{"/Ads/$match-case", lineNetwork},
		{"||x.com/ads$~match-case", lineNetwork},
		{"||x.com^$denyallow=cdn.x.com", lineInert},
		{"*$script,denyallow=cdn.x.com|b.com,3p", lineInert},
		{"*$script,denyallow=cdn.x.com,from=a.com", lineNetwork},
		{"||x.com^$domain=/a|b/", lineInert},
		{"||x.com^$domain=", lineBad},
		{"||x.com^$script=1", lineBad},
		{"||x.com^$method=fly", lineBad},
		{"||x.com^$rewrite=http://evil", lineBad},
		{"/(unclosed/", lineBad},
		{"/addyn|*;adtech;", lineNetwork}, // '|' inside a pattern is a plain character
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			_, cls, err := parseABPLine(tt.line)
			if cls != tt.cls {
				t.Errorf("parseABPLine(%q) = class %d (%v), want %d", tt.line, cls, err, tt.cls)
			}
			if (cls == lineBad || cls == lineInert) != (err != nil) {
				t.Errorf("parseABPLine(%q) error = %v for class %d", tt.line, err, cls)
			}
			if cls == lineInert && !errors.Is(err, ErrUnknownOption) {
				t.Errorf("parseABPLine(%q) error = %v, want ErrUnknownOption", tt.line, err)
			}
		})
	}
}

func TestMatchABP(t *testing.T) {
	tests := []struct {
		name    string
		rules   []string
		url     string
		source  string
		typ     ResourceType
		want    Action
		wantHit string // rule text expected in the verdict ("" = don't care)
	}{
		{"host anchor", []string{"||ads.example.com^"}, "https://ads.example.com/x.js", "https://site.org/", TypeScript, Block, "||ads.example.com^"},
		{"host anchor subdomain", []string{"||example.com^"}, "https://a.b.example.com/", "https://site.org/", TypeImage, Block, ""},
		{"host anchor not a suffix", []string{"||example.com^"}, "https://example.com.evil.net/", "https://site.org/", TypeImage, Allow, ""},
		{"host anchor not a label", []string{"||example.com^"}, "https://notexample.com/", "https://site.org/", TypeImage, Allow, ""},
		{"host anchor with port", []string{"||example.com^"}, "https://example.com:8443/a", "https://site.org/", TypeImage, Block, ""},
		{"host anchor path", []string{"||example.com/ads/"}, "https://www.example.com/ads/1.png", "", TypeImage, Block, ""},
		{"host anchor path miss", []string{"||example.com/ads/"}, "https://www.example.com/img/ads/1.png", "", TypeImage, Allow, ""},
		{"host anchor prefix", []string{"||ads."}, "https://ads.tracker.net/x", "", TypeImage, Block, ""},
		{"host anchor prefix inside label", []string{"||ads."}, "https://bads.tracker.net/x", "", TypeImage, Allow, ""},
		{"host anchor wildcard tld", []string{"||google.*/ads/"}, "https://www.google.co.uk/ads/x", "", TypeImage, Block, ""},
		{"host anchor in path ignored", []string{"||example.com^"}, "https://site.org/?u=example.com", "", TypeImage, Allow, ""},
		{"plain substring", []string{"/banner/"}, "https://x.org/img/banner/1.gif", "", TypeImage, Block, ""},
		{"case insensitive", []string{"/Banner/"}, "https://x.org/img/BANNER/1.gif", "", TypeImage, Block, ""},
		{"match-case", []string{"/Banner/$match-case"}, "https://x.org/img/banner/1.gif", "", TypeImage, Allow, ""},
		{"match-case hit", []string{"/Banner/$match-case"}, "https://x.org/img/Banner/1.gif", "", TypeImage, Block, ""},
		{"match-case on a plain rule is inert", []string{"||mc.test/Ads$match-case", "||other.example^"}, "https://mc.test/Ads", "", TypeImage, Allow, ""},
		{"start anchor", []string{"|https://ads."}, "https://ads.x.org/", "", TypeImage, Block, ""},
		{"start anchor miss", []string{"|http://ads."}, "https://ads.x.org/", "", TypeImage, Allow, ""},
		{"start anchor not inside", []string{"|https://ads."}, "https://x.org/?u=https://ads.example/", "", TypeImage, Allow, ""},
		{"start anchor with wildcard not inside", []string{"|https://ads.*/b"}, "https://x.org/?u=https://ads.example/b", "", TypeImage, Allow, ""},
		{"end anchor", []string{".gif|"}, "https://x.org/a.gif", "", TypeImage, Block, ""},
		{"end anchor miss", []string{".gif|"}, "https://x.org/a.gif?x", "", TypeImage, Allow, ""},
		{"separator", []string{"/ad^"}, "https://x.org/ad?x=1", "", TypeImage, Block, ""},
		{"separator at end", []string{"/ad^"}, "https://x.org/ad", "", TypeImage, Block, ""},
		{"separator not letter", []string{"/ad^"}, "https://x.org/adx", "", TypeImage, Allow, ""},
		{"separator not dot", []string{"/ad^"}, "https://x.org/ad.js", "", TypeImage, Allow, ""},
		{"wildcard", []string{"/ads/*/banner"}, "https://x.org/ads/2019/top/banner.png", "", TypeImage, Block, ""},
		{"pipe inside pattern", []string{"/addyn|*;adtech;"}, "https://x.org/addyn|3.0|5.1;adtech;size=1", "", TypeScript, Block, ""},
		{"wildcard order", []string{"/banner*/ads/"}, "https://x.org/ads/banner", "", TypeImage, Allow, ""},
		{"regex", []string{`/\/[0-9a-f]{32}\/invoke\.js/`}, "https://x.org/0123456789abcdef0123456789abcdef/invoke.js", "", TypeScript, Block, ""},
		{"regex miss", []string{`/\/[0-9a-f]{32}\/invoke\.js/`}, "https://x.org/0123/invoke.js", "", TypeScript, Allow, ""},
		{"regex end", []string{`/\.js$/`}, "https://x.org/a.js", "", TypeScript, Block, `/\.js$/`},
		{"regex end not inside", []string{`/\.js$/`, "||other.example^"}, "https://x.org/x.json", "", TypeScript, Allow, ""},
		{"regex end before query", []string{`/\.js$/`, "||other.example^"}, "https://x.org/a.js?v=1", "", TypeScript, Allow, ""},
		{"regex end with options", []string{`/\.js$/$script`}, "https://x.org/a.js", "", TypeScript, Block, ""},
		{"regex case-insensitive", []string{`/\/ADS\/[0-9]+/`}, "https://x.org/ads/12", "", TypeScript, Block, ""},
		{"third-party on 3p", []string{"||t.net^$third-party"}, "https://t.net/p", "https://site.org/", TypeImage, Block, ""},
		{"third-party on 1p", []string{"||t.net^$third-party"}, "https://cdn.t.net/p", "https://www.t.net/", TypeImage, Allow, ""},
		{"3p alias", []string{"||t.net^$3p"}, "https://t.net/p", "https://site.org/", TypeImage, Block, ""},
		{"1p alias on 3p", []string{"||t.net^$1p"}, "https://t.net/p", "https://site.org/", TypeImage, Allow, ""},
		{"1p alias on 1p", []string{"||t.net^$1p"}, "https://cdn.t.net/p", "https://www.t.net/", TypeImage, Block, ""},
		{"~1p on 3p", []string{"||t.net^$~1p"}, "https://t.net/p", "https://site.org/", TypeImage, Block, ""},
		{"~1p on 1p", []string{"||t.net^$~1p", "||other.example^"}, "https://t.net/p", "https://t.net/", TypeImage, Allow, ""},
		{"first-party", []string{"||t.net^$first-party"}, "https://t.net/p", "https://site.org/", TypeImage, Allow, ""},
		{"~third-party on 1p", []string{"||t.net^$~third-party"}, "https://t.net/p", "https://t.net/", TypeImage, Block, ""},
		{"party unknown source", []string{"||t.net^$third-party"}, "https://t.net/p", "", TypeImage, Block, ""},
		{"party by public suffix", []string{"||a.github.io^$third-party"}, "https://a.github.io/x", "https://b.github.io/", TypeImage, Block, ""},
		{"strict1p", []string{"||t.net^$strict1p"}, "https://cdn.t.net/p", "https://www.t.net/", TypeImage, Allow, ""},
		{"domain include", []string{"/ad.js$domain=site.org"}, "https://x.net/ad.js", "https://www.site.org/", TypeScript, Block, ""},
		{"domain include miss", []string{"/ad.js$domain=site.org"}, "https://x.net/ad.js", "https://other.org/", TypeScript, Allow, ""},
		{"domain exclude", []string{"/ad.js$domain=site.org|~www.site.org"}, "https://x.net/ad.js", "https://www.site.org/", TypeScript, Allow, ""},
		{"domain exclude other sub", []string{"/ad.js$domain=site.org|~www.site.org"}, "https://x.net/ad.js", "https://m.site.org/", TypeScript, Block, ""},
		{"domain only negated", []string{"/ad.js$domain=~site.org"}, "https://x.net/ad.js", "https://other.org/", TypeScript, Block, ""},
		{"domain no source", []string{"/ad.js$domain=site.org"}, "https://x.net/ad.js", "", TypeScript, Allow, ""},
		{"domain entity", []string{"/ad.js$domain=google.*"}, "https://x.net/ad.js", "https://www.google.co.uk/", TypeScript, Block, ""},
		{"domain entity miss", []string{"/ad.js$domain=google.*"}, "https://x.net/ad.js", "https://google.example.org/", TypeScript, Allow, ""},
		{"domain-only rule", []string{"$script,third-party,domain=site.org"}, "https://cdn.x.net/lib.js", "https://site.org/", TypeScript, Block, ""},
		{"type match", []string{"||x.net^$script"}, "https://x.net/a", "", TypeScript, Block, ""},
		{"type miss", []string{"||x.net^$script"}, "https://x.net/a", "", TypeImage, Allow, ""},
		{"type unknown", []string{"||x.net^$script"}, "https://x.net/a", "", TypeUnknown, Allow, ""},
		{"negated type", []string{"||x.net^$~script"}, "https://x.net/a", "", TypeImage, Block, ""},
		{"negated type miss", []string{"||x.net^$~script"}, "https://x.net/a", "", TypeScript, Allow, ""},
		{"negated type unknown", []string{"||x.net^$~script"}, "https://x.net/a", "", TypeUnknown, Block, ""},
		{"websocket", []string{"||ws.net^$websocket"}, "wss://ws.net/socket", "https://site.org/", TypeWebSocket, Block, ""},
		{"websocket only", []string{"||ws.net^$websocket"}, "https://ws.net/socket", "https://site.org/", TypeXHR, Allow, ""},
		{"doc alias", []string{"||x.net/ads$doc"}, "https://x.net/ads", "", TypeDocument, Block, ""},
		{"type aliases", []string{"||x.net^$xhr,css,frame"}, "https://x.net/a", "", TypeSubdocument, Block, ""},
		{"document by plain host rule", []string{"||x.net^"}, "https://x.net/", "", TypeDocument, Block, ""},
		{"document not by path rule", []string{"||x.net/ads"}, "https://x.net/ads", "", TypeDocument, Allow, ""},
		{"document by $document", []string{"||x.net/ads$document"}, "https://x.net/ads", "", TypeDocument, Block, ""},
		{"popup only is skipped", []string{"||x.net^$popup", "||other.example^"}, "https://x.net/", "", TypeDocument, Allow, ""},
		{"exception", []string{"||x.net^", "@@||x.net/ok/"}, "https://x.net/ok/a.js", "", TypeScript, Exception, "@@||x.net/ok/"},
		{"exception other path", []string{"||x.net^", "@@||x.net/ok/"}, "https://x.net/bad/a.js", "", TypeScript, Block, "||x.net^"},
		{"exception with type", []string{"||x.net^", "@@||x.net^$image"}, "https://x.net/a.js", "", TypeScript, Block, ""},
		{"important beats exception", []string{"||x.net^$important", "@@||x.net^"}, "https://x.net/a.js", "", TypeScript, Block, "||x.net^$important"},
		{"page exception", []string{"||x.net^", "@@||site.org^$document"}, "https://x.net/a.js", "https://www.site.org/page", TypeScript, Exception, "@@||site.org^$document"},
		{"page exception path", []string{"||x.net^", "@@||site.org/ok/$document"}, "https://x.net/a.js", "https://site.org/ok/page", TypeScript, Exception, ""},
		{"page exception other page", []string{"||x.net^", "@@||site.org/ok/$document"}, "https://x.net/a.js", "https://site.org/other", TypeScript, Block, ""},
		{"plain host exception is not page-wide", []string{"||x.net^", "@@||site.org^"}, "https://x.net/a.js", "https://site.org/", TypeScript, Block, ""},
		{"badfilter", []string{"||x.net^", "||x.net^$badfilter"}, "https://x.net/a.js", "", TypeScript, Allow, ""},
		{"badfilter with options", []string{"||x.net^$script", "||x.net^$script,badfilter"}, "https://x.net/a.js", "", TypeScript, Allow, ""},
		{"badfilter other rule kept", []string{"||x.net^$image", "||x.net^$script,badfilter"}, "https://x.net/a.png", "", TypeImage, Block, ""},
		{"badfilter option order", []string{"||imp2.test^$important,third-party", "@@||imp2.test^", "||imp2.test^$third-party,important,badfilter"}, "https://imp2.test/a.js", "https://site.org/", TypeScript, Allow, ""},
		{"badfilter option case", []string{"||cs.test^$Important", "||cs.test^$IMPORTANT,BADFILTER"}, "https://cs.test/a.js", "", TypeScript, Allow, ""},
		{"badfilter option aliases", []string{"||al.test^$3p,css,xhr,frame", "||al.test^$subdocument,stylesheet,third-party,xmlhttprequest,badfilter"}, "https://al.test/a.css", "https://site.org/", TypeStylesheet, Allow, ""},
		{"badfilter alias doc and 1p", []string{"||al.test^$doc,1p", "||al.test^$badfilter,first-party,document"}, "https://al.test/", "", TypeDocument, Allow, ""},
		{"badfilter domain order", []string{"||dm.test^$domain=b.org|a.org", "||dm.test^$domain=A.org|b.org|a.org,badfilter"}, "https://dm.test/a.js", "https://a.org/", TypeScript, Allow, ""},
		{"badfilter duplicate option", []string{"||dup.test^$script,script", "||dup.test^$badfilter,script"}, "https://dup.test/a.js", "", TypeScript, Allow, ""},
		{"badfilter other domains kept", []string{"||dm.test^$domain=b.org|a.org", "||dm.test^$domain=a.org,badfilter"}, "https://dm.test/a.js", "https://a.org/", TypeScript, Block, ""},
		{"badfilter spares the exception", []string{"||ok.test/a", "@@||ok.test^", "||ok.test^$badfilter"}, "https://ok.test/a", "", TypeScript, Exception, "@@||ok.test^"},
		{"badfilter of an important rule", []string{"||x.net^", "||x.net^$important", "@@||x.net^", "||x.net^$important,badfilter"}, "https://x.net/a.js", "", TypeScript, Exception, "@@||x.net^"},
		{"denyallow", []string{"*$script,3p,denyallow=cdn.net,domain=site.org"}, "https://cdn.net/lib.js", "https://site.org/", TypeScript, Allow, ""},
		{"denyallow without domain is inert", []string{"*$script,denyallow=cdn.net", "||other.example^"}, "https://evil.net/lib.js", "https://site.org/", TypeScript, Allow, ""},
		{"denyallow blocks others", []string{"*$script,3p,denyallow=cdn.net,domain=site.org"}, "https://evil.net/lib.js", "https://site.org/", TypeScript, Block, ""},
		{"to=", []string{"*$script,to=evil.net|~ok.evil.net"}, "https://a.evil.net/x.js", "", TypeScript, Block, ""},
		{"to= negated", []string{"*$script,to=evil.net|~ok.evil.net"}, "https://ok.evil.net/x.js", "", TypeScript, Allow, ""},
		{"method", []string{"||x.net/rec$method=post"}, "https://x.net/rec", "", TypeXHR, Allow, ""},
		{"redirect", []string{"||x.net/a.js$script,redirect=noop.js"}, "https://x.net/a.js", "", TypeScript, Redirect, ""},
		{"redirect unknown resource blocks", []string{"||x.net/a.js$script,redirect=nothere.js"}, "https://x.net/a.js", "", TypeScript, Block, ""},
		{"redirect-rule alone does not block", []string{"||x.net/a.js$redirect-rule=noop.js"}, "https://x.net/a.js", "", TypeScript, Allow, ""},
		{"redirect-rule with block", []string{"||x.net^", "||x.net/a.js$redirect-rule=noop.js"}, "https://x.net/a.js", "", TypeScript, Redirect, "||x.net^"},
		{"redirect exception", []string{"||x.net/a.js$script,redirect=noop.js", "@@||x.net/a.js$redirect"}, "https://x.net/a.js", "", TypeScript, Block, ""},
		{"rewrite abp-resource", []string{"||x.net/v.mp4$rewrite=abp-resource:blank-js"}, "https://x.net/v.mp4", "", TypeMedia, Block, ""},
		{"empty", []string{"||x.net/a$empty"}, "https://x.net/a", "", TypeXHR, Redirect, ""},
		{"removeparam does not block", []string{"||x.net^$removeparam=utm_source"}, "https://x.net/?utm_source=a", "", TypeDocument, Allow, ""},
		{"csp does not block", []string{"||x.net^$csp=script-src 'none'", "||other.example^"}, "https://x.net/a.js", "", TypeScript, Allow, ""},
		{"fragment ignored", []string{"|https://x.net/a|"}, "https://x.net/a#frag", "", TypeImage, Block, ""},
		{"default port stripped", []string{"|https://x.net/a"}, "https://X.net:443/a", "", TypeImage, Block, ""},
		{"userinfo stripped", []string{"||x.net^$third-party"}, "https://user:pw@x.net/", "https://site.org/", TypeImage, Block, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := compileRules(t, Options{}, tt.rules...)
			v := m.Match(NewRequest(tt.url, tt.source, tt.typ))
			if v.Action != tt.want || tt.wantHit != "" && v.Rule != tt.wantHit {
				t.Errorf("Match(%q from %q, %v) = %v (rule %q), want %v (rule %q)", tt.url, tt.source, tt.typ, v.Action, v.Rule, tt.want, tt.wantHit)
			}
			if v.Action != Allow && v.List != "test" {
				t.Errorf("Match(%q).List = %q, want %q", tt.url, v.List, "test")
			}
		})
	}
}

func TestParseABPList(t *testing.T) {
	text := "[Adblock Plus 2.0]\n! Title: test\n||a.com^\n##.ad\n@@||a.com/ok\n||b.com^$stealth\n/(bad/\n||c.com^$permissions=x\n\n"
	l, err := ParseString(text, ListMeta{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	want := ListStats{Lines: 9, Rules: 2, Exceptions: 1, Cosmetic: 1, Ignored: 1, Inert: 1, Bad: 1}
	if l.Stats != want {
		t.Errorf("Stats = %+v, want %+v", l.Stats, want)
	}
	if l.Meta.Format != FormatABP {
		t.Errorf("Format = %v, want abp", l.Meta.Format)
	}
	if len(l.Errors) != 2 || l.Errors[0].Line != 6 || l.Errors[1].Line != 7 || l.Errors[1].Text != "/(bad/" {
		t.Errorf("Errors = %v, want lines 6 and 7", l.Errors)
	}
	if !errors.Is(l.Errors[0], ErrUnknownOption) {
		t.Errorf("Errors[0] = %v, want ErrUnknownOption", l.Errors[0])
	}
}

func TestValidateRule(t *testing.T) {
	tests := []struct {
		line string
		want error // nil, ErrNotApplied, ErrUnknownOption, or errBad for any other error
	}{
		{"||ads.example.com^", nil},
		{"@@||example.com^$document", nil},
		{"! a comment", nil},
		{"", nil},
		{"example.com##.banner", ErrNotApplied},
		{"||x.com^$permissions=camera=()", ErrNotApplied},
		{"||x.com^$frobnicate", ErrUnknownOption},
		{"/[/", errBad},
		{"||x.com^$domain=", errBad},
	}
	for _, tt := range tests {
		err := ValidateRule(tt.line)
		switch {
		case tt.want == nil && err != nil, tt.want == errBad && err == nil:
			t.Errorf("ValidateRule(%q) = %v, want %v", tt.line, err, tt.want)
		case tt.want != nil && tt.want != errBad && !errors.Is(err, tt.want):
			t.Errorf("ValidateRule(%q) = %v, want %v", tt.line, err, tt.want)
		}
	}
}

var errBad = errors.New("any syntax error")

func TestCompileLower(t *testing.T) {
	tests := []struct {
		expr, in string
		want     bool
	}{
		{`ABC\.js`, "x/abc.js", true},
		{`[A-Z]{3}\d`, "xyz1", true},
		{`\D+`, "abc", true},
		{`\W`, "a/b", true},
		{`Straße`, "straße", true},
		{`(?-i:ABC)`, "abc", true}, // the input is lower case: any letter case in the rule matches it
	}
	for _, tt := range tests {
		re, err := compileLower(tt.expr)
		if err != nil {
			t.Fatalf("compileLower(%q): %v", tt.expr, err)
		}
		if got := re.MatchString(tt.in); got != tt.want {
			t.Errorf("compileLower(%q) = %q; MatchString(%q) = %v, want %v", tt.expr, re, tt.in, got, tt.want)
		}
	}
}

func TestSplitOptions(t *testing.T) {
	tests := []struct{ body, pattern, options string }{
		{"||rmp.test^$removeparam=/^utm$/", "||rmp.test^", "removeparam=/^utm$/"},
		{"||rmp.test^$removeparam=/^(utm_source|ref)$/,domain=a.com", "||rmp.test^", "removeparam=/^(utm_source|ref)$/,domain=a.com"},
		{"||rmp.test^$script,removeparam=/^a$|^b$/", "||rmp.test^", "script,removeparam=/^a$|^b$/"},
		{"$removeparam=/^fbclid$/", "", "removeparam=/^fbclid$/"},
		{"||rmp.test^$removeparam=/[$]x$/i", "||rmp.test^", "removeparam=/[$]x$/i"},
		{"/ads/$removeparam=/x$/", "/ads/", "removeparam=/x$/"},
		{"||d.test/a$b/c$script", "||d.test/a$b/c", "script"},
		{"||d.test/$ad$image,3p", "||d.test/$ad", "image,3p"},
		{"||d.test/p$image$Script", "||d.test/p$image", "Script"},
		{"||d.test/a$stealth", "||d.test/a", "stealth"},
		{"||d.test/a$b$stealth", "||d.test/a$b", "stealth"},
		{"||d.test/price$", "||d.test/price", ""},
		{`/\.js$/`, `/\.js$/`, ""},
		{`/\.js$/$script,~third-party`, `/\.js$/`, "script,~third-party"},
		{"/a$/$stealth", "/a$/", "stealth"},
		{"||x.test^", "||x.test^", ""},
	}
	for _, tt := range tests {
		pattern, options := splitOptions(tt.body)
		if pattern != tt.pattern || options != tt.options {
			t.Errorf("splitOptions(%q) = %q, %q; want %q, %q", tt.body, pattern, options, tt.pattern, tt.options)
		}
	}
}

// TestRuleOptionsKnown keeps ruleOptions, which splitOptions relies on, in
// step with applyOption.
func TestRuleOptionsKnown(t *testing.T) {
	for name := range ruleOptions {
		if _, err := applyOption(&filter{}, name, "a.com", false); errors.Is(err, ErrUnknownOption) {
			t.Errorf("applyOption(%q) = %v, but ruleOptions lists it", name, err)
		}
	}
}

func TestRemoveParamRegexWithDollar(t *testing.T) {
	m := compileRules(t, Options{}, "||rmp.test^$removeparam=/^utm$/", "||rmp.test^$removeparam=/^(fbclid|gclid)$/,domain=site.org",
		"||d.test/a$b/c$script")
	r := NewRequest("https://rmp.test/?utm=1&fbclid=2", "https://site.org/", TypeScript)
	got := m.RemoveParams(r)
	want := []string{"/^utm$/", "/^(fbclid|gclid)$/"}
	if diff := cmp.Diff(want, got, sortStrings); diff != "" {
		t.Errorf("RemoveParams(%q) (-want +got):\n%s", r.URL, diff)
	}
	if v := m.Match(NewRequest("https://d.test/a$b/c.js", "", TypeScript)); v.Action != Block {
		t.Errorf("Match(https://d.test/a$b/c.js) = %v, want Block", v.Action)
	}
	if v := m.Match(NewRequest("https://d.test/a$b/c.js", "", TypeImage)); v.Action != Allow {
		t.Errorf("Match(https://d.test/a$b/c.js, image) = %v, want Allow", v.Action)
	}
}

// TestInternationalHosts checks that host names in Unicode are converted to
// punycode, in rules, options, hosts and domain lists and requests, as
// uBlock Origin does.
func TestInternationalHosts(t *testing.T) {
	lists := []struct {
		name, text string
		format     Format
	}{
		{"abp", "||bücher.test^\n*$script,domain=bücher.site|~nö.bücher.site\n*$image,denyallow=münchen.test,domain=bild.test\n|https://straße.test/ads/", FormatABP},
		{"hosts", "0.0.0.0 bücher.test\n", FormatHosts},
		{"domains", "BÜCHER.test\n", FormatDomains},
	}
	tests := []struct {
		list, url, source string
		typ               ResourceType
		want              Action
	}{
		{"abp", "https://xn--bcher-kva.test/a.js", "", TypeScript, Block},
		{"abp", "https://www.bücher.test/a.js", "", TypeXHR, Block},
		{"abp", "https://BÜCHER.test:443/a.js", "", TypeXHR, Block},
		{"abp", "https://buecher.test/a.js", "", TypeXHR, Allow},
		{"abp", "https://cdn.example/a.js", "https://www.bücher.site/", TypeScript, Block},
		{"abp", "https://cdn.example/a.js", "https://xn--bcher-kva.site/", TypeScript, Block},
		{"abp", "https://cdn.example/a.js", "https://nö.bücher.site/", TypeScript, Allow},
		{"abp", "https://cdn.example/a.js", "https://other.site/", TypeScript, Allow},
		{"abp", "https://img.example/a.png", "https://bild.test/", TypeImage, Block},
		{"abp", "https://cdn.xn--mnchen-3ya.test/a.png", "https://bild.test/", TypeImage, Allow},
		{"abp", "https://xn--strae-oqa.test/ads/x", "", TypeOther, Block},
		{"hosts", "https://bücher.test/", "", TypeDocument, Block},
		{"hosts", "https://xn--bcher-kva.test/x", "", TypeImage, Block},
		{"domains", "https://a.xn--bcher-kva.test/x", "", TypeImage, Block},
	}
	matchers := map[string]*Matcher{}
	for _, l := range lists {
		parsed, err := ParseString(l.text, ListMeta{Name: l.name, Format: l.format})
		if err != nil || len(parsed.Errors) > 0 {
			t.Fatalf("ParseString(%q) = %v, errors %v", l.text, err, parsed.Errors)
		}
		if matchers[l.name], err = Compile([]*List{parsed}, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		v := matchers[tt.list].Match(NewRequest(tt.url, tt.source, tt.typ))
		if v.Action != tt.want {
			t.Errorf("%s: Match(%q from %q) = %v (rule %q), want %v", tt.list, tt.url, tt.source, v.Action, v.Rule, tt.want)
		}
	}
}

// TestInternationalHostErrors checks that a name IDNA rejects is a
// ParseError on its line.
func TestInternationalHostErrors(t *testing.T) {
	tests := []struct {
		text   string
		format Format
		line   int
	}{
		{"||ok.test^\n||bü_cher.test^", FormatABP, 2},
		{"||ok.test^\n||x.test^$domain=ü-.test", FormatABP, 2},
		{"||ok.test^\n*$denyallow=-ü.test,domain=a.test", FormatABP, 2},
		{"0.0.0.0 ok.test\n0.0.0.0 ü-.test", FormatHosts, 2},
		{"ok.test\n\nbü_cher.test", FormatDomains, 3},
	}
	for _, tt := range tests {
		l, err := ParseString(tt.text, ListMeta{Name: "idn", Format: tt.format})
		if err != nil {
			t.Fatalf("ParseString(%q): %v", tt.text, err)
		}
		if l.Stats.Bad != 1 || len(l.Errors) != 1 || l.Errors[0].Line != tt.line {
			t.Errorf("ParseString(%q): bad %d, errors %v; want one on line %d", tt.text, l.Stats.Bad, l.Errors, tt.line)
		}
	}
}
