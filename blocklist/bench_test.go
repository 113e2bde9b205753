// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"polaris/internal/testenv"
)

// Benchmarks: parse per format, parse+compile of EasyList+EasyPrivacy, and
// the decision over the realworld vectors with percentiles reported as
// custom metrics (p50-ns, p99-ns). Targets: p50 < 1 µs, p99 < 10 µs,
// 0 allocs/op, parse+compile < 250 ms, matcher heap < 40 MB.

func readShared(b *testing.B, rel string) string {
	b.Helper()
	data, err := os.ReadFile(testenv.Shared(b, rel))
	if err != nil {
		b.Fatal(err)
	}
	return string(data)
}

func benchParse(b *testing.B, rel string) {
	text := readShared(b, rel)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := ParseString(text, ListMeta{Name: rel}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseABPEasyList(b *testing.B)    { benchParse(b, "blocklists/easylist.txt") }
func BenchmarkParseABPEasyPrivacy(b *testing.B) { benchParse(b, "blocklists/easyprivacy.txt") }
func BenchmarkParseHosts(b *testing.B) {
	benchParse(b, "blocklists/stevenblack-hosts-2019-03-27-fakenews-gambling-porn-social.txt")
}

// BenchmarkParseDomains reads the StevenBlack hosts file's names as a
// domain-per-line list.
func BenchmarkParseDomains(b *testing.B) {
	hosts := readShared(b, "blocklists/stevenblack-hosts-2019-03-27-fakenews-gambling-porn-social.txt")
	var sb strings.Builder
	for _, line := range strings.Split(hosts, "\n") {
		if f := strings.Fields(stripComment(line)); len(f) == 2 && f[0] == "0.0.0.0" {
			sb.WriteString(f[1])
			sb.WriteByte('\n')
		}
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := ParseString(text, ListMeta{Name: "domains", Format: FormatDomains}); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkParseDisconnectServices(b *testing.B) {
	benchParse(b, "blocklists/disconnect-services.json")
}
func BenchmarkParseDisconnectEntities(b *testing.B) {
	benchParse(b, "blocklists/disconnect-entities.json")
}
func BenchmarkParseTDS(b *testing.B) { benchParse(b, "blocklists/ddg-tds/extension-tds-v6.json") }
func BenchmarkParseDDGConfig(b *testing.B) {
	benchParse(b, "blocklists/ddg-privacy-config/tracker-allowlist.json")
}
func BenchmarkParseResources(b *testing.B) {
	benchParse(b, "ddg-reference-tests/tracker-radar-tests/TR-domain-matching/surrogates.txt")
}

// benchLists are the list sets the match benchmarks run with.
var benchLists = map[string][]string{
	"easy":  {"blocklists/easylist.txt", "blocklists/easyprivacy.txt"},
	"hosts": {"blocklists/stevenblack-hosts-2019-03-27-fakenews-gambling-porn-social.txt", "blocklists/adaway-hosts.txt"},
	"tds":   {"blocklists/ddg-tds/extension-tds-v6.json"},
	"all": {"blocklists/easylist.txt", "blocklists/easyprivacy.txt", "blocklists/peter-lowe-serverlist-abp.txt",
		"blocklists/disconnect-services.json", "blocklists/disconnect-entities.json", "blocklists/ddg-tds/extension-tds-v6.json"},
}

func compileBench(b *testing.B, set string) *Matcher {
	b.Helper()
	var lists []*List
	for _, rel := range benchLists[set] {
		l, err := ParseString(readShared(b, rel), ListMeta{Name: rel})
		if err != nil {
			b.Fatal(err)
		}
		lists = append(lists, l)
	}
	m, err := Compile(lists, Options{OwnerParties: true})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkParseCompileEasy is the start-up cost of EasyList+EasyPrivacy
// read from readers, and reports the heap the compiled matcher holds (the
// list texts it keeps rule texts from included).
func BenchmarkParseCompileEasy(b *testing.B) {
	texts := []string{readShared(b, "blocklists/easylist.txt"), readShared(b, "blocklists/easyprivacy.txt")}
	b.ReportAllocs()
	var heap uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var lists []*List
		for i, t := range texts {
			l, err := Parse(strings.NewReader(t), ListMeta{Name: []string{"EasyList", "EasyPrivacy"}[i]})
			if err != nil {
				b.Fatal(err)
			}
			lists = append(lists, l)
		}
		m, err := Compile(lists, Options{})
		if err != nil {
			b.Fatal(err)
		}
		lists = nil
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(m)
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
}

// BenchmarkMatch decides the realworld requests (one op = Reset + Match of
// one request, cycling through all 10,000) and reports latency percentiles
// measured around each decision.
func BenchmarkMatch(b *testing.B) {
	cases := loadRealworld(b)
	for _, set := range []string{"easy", "hosts", "tds", "all"} {
		b.Run(set, func(b *testing.B) {
			m := compileBench(b, set)
			types := make([]ResourceType, len(cases))
			for i, c := range cases {
				types[i] = ParseResourceType(c.Type)
			}
			r := &Request{}
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				c := &cases[i]
				r.Reset(c.URL, c.SourceURL, types[i])
				m.Match(r)
				if i++; i == len(cases) {
					i = 0
				}
			}
			b.StopTimer()
			p50, p99, mean := latencies(m, cases, types)
			b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
			b.ReportMetric(float64(mean.Nanoseconds()), "mean-ns")
		})
	}
}

// latencies times each decision of three passes over the vectors.
func latencies(m *Matcher, cases []realworldCase, types []ResourceType) (p50, p99, mean time.Duration) {
	r := &Request{}
	d := make([]time.Duration, 0, 3*len(cases))
	for pass := 0; pass < 3; pass++ {
		for i := range cases {
			c := &cases[i]
			t0 := time.Now()
			r.Reset(c.URL, c.SourceURL, types[i])
			m.Match(r)
			d = append(d, time.Since(t0))
		}
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	slices.Sort(d)
	return d[len(d)/2], d[len(d)*99/100], sum / time.Duration(len(d))
}

func BenchmarkMatchHost(b *testing.B) {
	m := compileBench(b, "easy")
	cases := loadRealworld(b)
	hosts := make([]string, len(cases))
	for i, c := range cases {
		hosts[i] = NewRequest(c.URL, "", 0).Host()
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.MatchHost(hosts[i])
		if i++; i == len(hosts) {
			i = 0
		}
	}
}
