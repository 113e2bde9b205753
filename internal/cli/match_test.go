// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"polaris/internal/testenv"
)

func TestMatchCommand(t *testing.T) {
	easylist := testenv.Shared(t, "blocklists/easylist.txt")
	easyprivacy := testenv.Shared(t, "blocklists/easyprivacy.txt")
	tds := testenv.Shared(t, "blocklists/ddg-tds/extension-tds-v6.json")
	dir := t.TempDir()
	custom := filepath.Join(dir, "custom.txt")
	if err := os.WriteFile(custom, []byte("||tracker.example^\n@@||tracker.example/ok/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("! nothing\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		want     []map[string]any // expected subsets of the output lines
		stderr   string           // regexp the stderr must match
	}{
		{
			name:  "tsv with header",
			args:  []string{"--list", easylist, "--list", easyprivacy},
			stdin: "url\tsource_url\ttype\nhttps://www.google-analytics.com/analytics.js\thttps://news.example/\tscript\nhttps://news.example/style.css\thttps://news.example/\tstylesheet\n",
			want: []map[string]any{
				{"url": "https://www.google-analytics.com/analytics.js", "verdict": "block", "list": "easyprivacy.txt", "action": "block"},
				{"url": "https://news.example/style.css", "verdict": "allow", "rule": "", "list": ""},
			},
		},
		{
			name:  "json lines and exceptions",
			args:  []string{"--list", custom},
			stdin: `{"url":"https://tracker.example/ok/a.js","sourceUrl":"https://site.test/","type":"script"}` + "\n" + `{"url":"https://tracker.example/x.js","sourceUrl":"https://site.test/","type":"script"}` + "\n",
			want: []map[string]any{
				{"verdict": "allow", "action": "exception", "rule": "@@||tracker.example/ok/", "list": "custom.txt"},
				{"verdict": "block", "action": "block", "rule": "||tracker.example^", "list": "custom.txt"},
			},
		},
		{
			name:  "url only, tds",
			args:  []string{"--list", tds, "--timing"},
			stdin: "https://connect.facebook.net/en_US/fbevents.js\thttps://news.example/\tscript\n",
			want: []map[string]any{
				{"verdict": "block", "tracker": true, "owner": "Facebook, Inc."},
			},
			stderr: `timing: parse_ms=[0-9.]+ p50_us=[0-9.]+ p99_us=[0-9.]+ mean_us=[0-9.]+ n=1 heap_mb=[0-9.]+\n`,
		},
		{
			name:     "stats",
			args:     []string{"--list", custom, "--stats"},
			stdin:    "",
			stderr:   `list custom.txt \(abp\): lines=2 rules=2 exceptions=1 .*\nmatcher: lists=1 rules=2`,
			wantCode: 0,
		},
		{
			name:     "bad input line keeps order",
			args:     []string{"--list", custom},
			stdin:    "{bad json\nhttps://tracker.example/a\n",
			want:     []map[string]any{{"line": float64(1)}, {"verdict": "block"}},
			stderr:   `input line 1: bad JSON`,
			wantCode: 2,
		},
		{name: "no list", args: nil, wantCode: 2, stderr: "usage: polaris match"},
		{name: "missing file", args: []string{"--list", filepath.Join(dir, "nope.txt")}, wantCode: 2, stderr: "opening list"},
		{name: "unusable list", args: []string{"--list", empty, "--stats"}, wantCode: 2, stderr: "no usable rules"},
		{name: "stray argument", args: []string{"--list", custom, "extra"}, wantCode: 2, stderr: "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Match(tt.args, strings.NewReader(tt.stdin), &out, &errb)
			if code != tt.wantCode {
				t.Fatalf("Match(%v) = %d, want %d; stderr:\n%s", tt.args, code, tt.wantCode, errb.String())
			}
			if tt.stderr != "" && !regexp.MustCompile(tt.stderr).MatchString(errb.String()) {
				t.Errorf("stderr = %q, want match for %q", errb.String(), tt.stderr)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(tt.want) == 0 {
				return
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d output lines, want %d:\n%s", len(lines), len(tt.want), out.String())
			}
			for i, want := range tt.want {
				var got map[string]any
				if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
					t.Fatalf("line %d: %v: %s", i+1, err, lines[i])
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("line %d: %s = %v, want %v (%s)", i+1, k, got[k], v, lines[i])
					}
				}
			}
		})
	}
}

func TestReadLineTooLong(t *testing.T) {
	long := "https://x.example/" + strings.Repeat("a", maxLine) + "\nhttps://ok.example/\n"
	var got []string
	var errs int
	err := readRequests(strings.NewReader(long), func(line int, in request, err error) {
		if err != nil {
			errs++
			return
		}
		got = append(got, in.URL)
	})
	if err != nil || errs != 1 || len(got) != 1 || got[0] != "https://ok.example/" {
		t.Errorf("readRequests = %v, %d errors, %v", err, errs, got)
	}
}

// writeList writes a list file into a test directory and returns its path.
func writeList(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMatchInput checks that every input column reaches the decision: a
// third-party-only rule makes the source decide, a $script rule the type.
func TestMatchInput(t *testing.T) {
	list := writeList(t, "custom.txt", "||tracker.example^\n||third.example^$third-party\n||scripts.example^$script\n")
	type out struct{ url, verdict string }
	tests := []struct {
		name  string
		stdin string
		want  []out
	}{
		{
			name:  "crlf",
			stdin: "url\tsource_url\ttype\r\nhttps://tracker.example/a\r\nhttps://scripts.example/s.js\thttps://site.test/\tscript\r\n",
			want:  []out{{"https://tracker.example/a", "block"}, {"https://scripts.example/s.js", "block"}},
		},
		{
			name:  "tsv source",
			stdin: "https://third.example/x\thttps://www.third.example/\timage\nhttps://third.example/x\thttps://site.test/\timage\n",
			want:  []out{{"https://third.example/x", "allow"}, {"https://third.example/x", "block"}},
		},
		{
			name:  "tsv type",
			stdin: "https://scripts.example/s.js\thttps://site.test/\tscript\nhttps://scripts.example/s.js\thttps://site.test/\timage\n",
			want:  []out{{"https://scripts.example/s.js", "block"}, {"https://scripts.example/s.js", "allow"}},
		},
		{
			name: "json sourceUrl",
			stdin: `{"url":"https://third.example/x","sourceUrl":"https://www.third.example/","type":"image"}` + "\n" +
				`{"url":"https://third.example/x","sourceUrl":"https://site.test/","type":"image"}` + "\n",
			want: []out{{"https://third.example/x", "allow"}, {"https://third.example/x", "block"}},
		},
		{
			name: "json type",
			stdin: `{"url":"https://scripts.example/s.js","sourceUrl":"https://site.test/","type":"script"}` + "\r\n" +
				`{"url":"https://scripts.example/s.js","sourceUrl":"https://site.test/","type":"image"}` + "\r\n",
			want: []out{{"https://scripts.example/s.js", "block"}, {"https://scripts.example/s.js", "allow"}},
		},
		{
			name:  "header only on the first line",
			stdin: "https://tracker.example/a\nurl\tsource_url\ttype\n",
			want:  []out{{"https://tracker.example/a", "block"}, {"url", "allow"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Match([]string{"--list", list}, strings.NewReader(tt.stdin), &stdout, &stderr); code != 0 {
				t.Fatalf("Match = %d, want 0; stderr:\n%s", code, stderr.String())
			}
			var got []out
			dec := json.NewDecoder(&stdout)
			for dec.More() {
				var r result
				if err := dec.Decode(&r); err != nil {
					t.Fatal(err)
				}
				got = append(got, out{r.URL, r.Verdict})
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(out{})); diff != "" {
				t.Errorf("Match(%q) (-want +got):\n%s", tt.stdin, diff)
			}
		})
	}
}

// TestMatchStatsErrors checks that --stats lists each skipped list line
// with its number.
func TestMatchStatsErrors(t *testing.T) {
	list := writeList(t, "custom.txt", "! title\n||a.example^\n||b.example^$bogusoption\n")
	var stdout, stderr bytes.Buffer
	if code := Match([]string{"--list", list, "--stats"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("Match = %d, want 0; stderr:\n%s", code, stderr.String())
	}
	want := `  custom.txt: line 3: unknown option "bogusoption": "||b.example^$bogusoption"` + "\n"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr.String(), want)
	}
}

func TestPercentile(t *testing.T) {
	seq := func(n int) []time.Duration { // 1..n microseconds
		d := make([]time.Duration, n)
		for i := range d {
			d[i] = time.Duration(i+1) * time.Microsecond
		}
		return d
	}
	reversed := seq(1000)
	slices.Reverse(reversed)
	outlier := append(slices.Repeat([]time.Duration{time.Microsecond}, 99), time.Millisecond)
	tests := []struct {
		name           string
		d              []time.Duration
		p50, p99, mean time.Duration
	}{
		{"none", nil, 0, 0, 0},
		{"one", []time.Duration{7}, 7, 7, 7},
		{"two", []time.Duration{30, 10}, 10, 30, 20},
		{"1..100", seq(100), 50 * time.Microsecond, 99 * time.Microsecond, 50500 * time.Nanosecond},
		{"1..1000 reversed", reversed, 500 * time.Microsecond, 990 * time.Microsecond, 500500 * time.Nanosecond},
		{"one outlier in 100", outlier, time.Microsecond, time.Microsecond, 10990 * time.Nanosecond},
		{"two outliers in 100", append(outlier[1:], time.Millisecond), time.Microsecond, time.Millisecond, 20980 * time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p50, p99, mean := summarize(tt.d)
			if p50 != tt.p50 || p99 != tt.p99 || mean != tt.mean {
				t.Errorf("summarize(%v) = %v, %v, %v, want %v, %v, %v", tt.d, p50, p99, mean, tt.p50, tt.p99, tt.mean)
			}
		})
	}
}

// fakeClock advances a microsecond on every reading, and a second on every
// write to its writer: a decision time that includes output shows.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time {
	c.t = c.t.Add(time.Microsecond)
	return c.t
}

type clockWriter struct {
	c *fakeClock
	bytes.Buffer
}

func (w *clockWriter) Write(p []byte) (int, error) {
	w.c.t = w.c.t.Add(time.Second)
	return w.Buffer.Write(p)
}

// TestMatchTimingExcludesIO checks that the decision times cover the match
// call alone: each decision reads the clock twice (1 µs), and any output
// in between would add seconds.
func TestMatchTimingExcludesIO(t *testing.T) {
	list := writeList(t, "custom.txt", "||tracker.example^\n")
	var in strings.Builder
	const n = 300 // about 80 KB of output: many flushes
	for i := range n {
		fmt.Fprintf(&in, "https://tracker.example/%d/%s\thttps://site.test/\tscript\n", i, strings.Repeat("a", 150))
	}
	in.WriteString("{bad json\n") // an error line on both outputs
	c := &fakeClock{}
	stdout, stderr := &clockWriter{c: c}, &clockWriter{c: c}
	if code := match([]string{"--list", list, "--timing"}, strings.NewReader(in.String()), stdout, stderr, c.now); code != 2 {
		t.Fatalf("match = %d, want 2; stderr:\n%s", code, stderr.String())
	}
	want := fmt.Sprintf("p50_us=1.000 p99_us=1.000 mean_us=1.000 n=%d ", n)
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr.String(), want)
	}
}

// TestMatchTimingHeap checks that --timing reports the heap a real list's
// matcher holds (EasyList: several MB).
func TestMatchTimingHeap(t *testing.T) {
	easylist := testenv.Shared(t, "blocklists/easylist.txt")
	var stdout, stderr bytes.Buffer
	if code := Match([]string{"--list", easylist, "--timing"}, strings.NewReader("https://a.example/\n"), &stdout, &stderr); code != 0 {
		t.Fatalf("Match = %d, want 0; stderr:\n%s", code, stderr.String())
	}
	m := regexp.MustCompile(`^timing: parse_ms=[0-9.]+ p50_us=[0-9.]+ p99_us=[0-9.]+ mean_us=[0-9.]+ n=1 heap_mb=([0-9.]+)\n$`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("stderr = %q, want one timing line", stderr.String())
	}
	if mb, _ := strconv.ParseFloat(m[1], 64); mb < 1 {
		t.Errorf("heap_mb = %v, want at least 1 for EasyList", mb)
	}
}
