package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
