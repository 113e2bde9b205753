// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"polaris/internal/testenv"
)

// realworldCase is one request of adblock-vectors/realworld.
type realworldCase struct {
	ID                  int    `json:"id"`
	URL                 string `json:"url"`
	SourceURL           string `json:"sourceUrl"`
	Type                string `json:"type"`
	Expect              string `json:"expect"`
	UBOFilter           string `json:"uboFilter"`
	GhosteryFilter      string `json:"ghosteryFilter"`
	ExpectIfTypeUnknown string `json:"expectIfTypeUnknown"`
	ExpectIfNoSource    string `json:"expectIfNoSource"`
	ExpectHostOnly      string `json:"expectHostOnly"`
}

func loadRealworld(t testing.TB) []realworldCase {
	t.Helper()
	f, err := os.Open(testenv.Shared(t, "adblock-vectors/realworld/verdicts-2026-first10k.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []realworldCase
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var c realworldCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	easyOnce    sync.Once
	easyLists   []*List
	easyListErr error
)

// easyListsFor parses EasyList and EasyPrivacy once per test binary.
func easyListsFor(t testing.TB) []*List {
	t.Helper()
	paths := []struct{ name, rel, cat string }{
		{"EasyList", "blocklists/easylist.txt", "advertising"},
		{"EasyPrivacy", "blocklists/easyprivacy.txt", "analytics"},
	}
	easyOnce.Do(func() {
		for _, p := range paths {
			f, err := os.Open(testenv.Shared(t, p.rel))
			if err != nil {
				easyListErr = err
				return
			}
			l, err := Parse(f, ListMeta{Name: p.name, Category: p.cat})
			f.Close()
			if err != nil {
				easyListErr = err
				return
			}
			easyLists = append(easyLists, l)
		}
	})
	if easyListErr != nil {
		t.Fatal(easyListErr)
	}
	return easyLists
}

func verdictWord(v Verdict) string {
	if v.Action.Blocked() {
		return "block"
	}
	return "allow"
}

// TestRealworldVectors checks the 10,000 crawled requests against the
// verdicts uBlock Origin and Ghostery agree on with EasyList and
// EasyPrivacy: with type and source, without type, without source, and as a
// bare host (an unfiltered HTTPS CONNECT). Rows where the two engines
// disagree ("disagree") have no single right answer and are counted apart.
func TestRealworldVectors(t *testing.T) {
	m, err := Compile(easyListsFor(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := loadRealworld(t)
	if len(cases) != 10000 {
		t.Fatalf("read %d vectors, want 10000", len(cases))
	}
	variants := []struct {
		name  string
		want  func(c realworldCase) string
		match func(r *Request, c realworldCase) Verdict
	}{
		{"expect", func(c realworldCase) string { return c.Expect }, func(r *Request, c realworldCase) Verdict {
			r.Reset(c.URL, c.SourceURL, ParseResourceType(c.Type))
			return m.Match(r)
		}},
		{"expectIfTypeUnknown", func(c realworldCase) string { return c.ExpectIfTypeUnknown }, func(r *Request, c realworldCase) Verdict {
			r.Reset(c.URL, c.SourceURL, TypeUnknown)
			return m.Match(r)
		}},
		{"expectIfNoSource", func(c realworldCase) string { return c.ExpectIfNoSource }, func(r *Request, c realworldCase) Verdict {
			r.Reset(c.URL, "", ParseResourceType(c.Type))
			return m.Match(r)
		}},
		{"expectHostOnly", func(c realworldCase) string { return c.ExpectHostOnly }, func(r *Request, c realworldCase) Verdict {
			r.Reset(c.URL, "", 0)
			return m.MatchHost(r.Host())
		}},
	}
	r := &Request{}
	for _, v := range variants {
		pass, judged, disagree := 0, 0, 0
		for _, c := range cases {
			want := v.want(c)
			if want == "disagree" {
				disagree++
				continue
			}
			judged++
			got := v.match(r, c)
			if w := verdictWord(got); w != want {
				t.Errorf("%s #%d: Match(%q from %q, %s) = %s (rule %q), want %s", v.name, c.ID, c.URL, c.SourceURL, c.Type, w, got.Rule, want)
				continue
			}
			pass++
		}
		t.Logf("realworld %s: %d/%d pass (%d rows where uBlock Origin and Ghostery disagree not judged)", v.name, pass, judged, disagree)
	}
}

type rustCase struct {
	Filters   []string `json:"filters"`
	URL       string   `json:"url"`
	SourceURL string   `json:"sourceUrl"`
	Type      string   `json:"type"`
}

func loadRust(t *testing.T) []rustCase {
	t.Helper()
	var cases []rustCase
	testenv.ReadJSON(t, "adblock-vectors/adblock-rust/matching-test-requests.json", &cases)
	return cases
}

// TestAdblockRustFilters checks that each listed filter matches its real
// request, alone (adblock-rust's check_filter_matching), and that an engine
// compiled from that filter alone decides the request accordingly: a
// blocking filter blocks, an exception filter excepts a blocked request
// (adblock-rust's check_engine_matching). Requests whose URL has no host
// ("https://") are skipped, as adblock-rust skips them.
func TestAdblockRustFilters(t *testing.T) {
	cases := loadRust(t)
	checked, passed, engine, skipped := 0, 0, 0, 0
	catchAll, _, _ := parseABPLine("*")
	for _, c := range cases {
		r := NewRequest(c.URL, c.SourceURL, ParseResourceType(c.Type))
		if r.Host() == "" {
			skipped += len(c.Filters)
			continue
		}
		for _, text := range c.Filters {
			checked++
			f, cls, err := parseABPLine(text)
			if cls != lineNetwork {
				t.Errorf("parseABPLine(%q) = class %d, %v; want a network rule", text, cls, err)
				continue
			}
			party := uint8(0)
			if r.srcHost != "" {
				party = 1
				if r.domain != r.srcDomain {
					party = 3
				}
			}
			if !f.matches(r, party, -1) {
				t.Errorf("filter %q does not match %s from %s (%s)", text, c.URL, c.SourceURL, c.Type)
				continue
			}
			passed++
			l := &List{Meta: ListMeta{Name: "one"}}
			l.addFilter(f, text)
			want := Block
			if f.flags&fException != 0 {
				l.addFilter(catchAll, "*")
				want = Exception
			}
			m, err := Compile([]*List{l}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			v := m.Match(r)
			if v.Action == Redirect {
				v.Action = Block
			}
			if v.Action != want {
				t.Errorf("engine with %q: Match(%s from %s, %s) = %v, want %v", text, c.URL, c.SourceURL, c.Type, v.Action, want)
				continue
			}
			engine++
		}
	}
	t.Logf("adblock-rust: %d/%d filters match their request, %d/%d engine decisions right (%d filters on host-less URLs skipped, as adblock-rust does)",
		passed, checked, engine, checked, skipped)
}

// TestAdblockRustRegressions checks adblock-rust's regressions.tsv with
// EasyList and EasyPrivacy.
func TestAdblockRustRegressions(t *testing.T) {
	m, err := Compile(easyListsFor(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(testenv.Shared(t, "adblock-vectors/adblock-rust/regressions.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	pass := 0
	for _, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("bad line %q", line)
		}
		v := m.Match(NewRequest(f[0], f[1], ParseResourceType(f[2])))
		if got := strconv.FormatBool(v.Action.Blocked()); got != f[3] {
			t.Errorf("Match(%s from %s, %s) blocked = %s (rule %q), want %s", f[0], f[1], f[2], got, v.Rule, f[3])
			continue
		}
		pass++
	}
	t.Logf("adblock-rust regressions: %d/%d pass", pass, len(lines)-1)
}
