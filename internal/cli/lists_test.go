// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"polaris/internal/status"
)

func TestParseAddArgs(t *testing.T) {
	tests := []struct {
		args         []string
		source, name string
		ok           bool
	}{
		{[]string{"https://x.example/l.txt"}, "https://x.example/l.txt", "", true},
		{[]string{"--name", "Mine", "f.txt"}, "f.txt", "Mine", true},
		{[]string{"f.txt", "--name=My list"}, "f.txt", "My list", true},
		{[]string{"f.txt", "--name"}, "", "", false},
		{[]string{"a", "b"}, "", "", false},
		{nil, "", "", false},
	}
	for _, tt := range tests {
		s, n, ok := parseAddArgs(tt.args)
		if s != tt.source || n != tt.name || ok != tt.ok {
			t.Errorf("parseAddArgs(%q) = %q, %q, %v; want %q, %q, %v", tt.args, s, n, ok, tt.source, tt.name, tt.ok)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 55364: "55,364", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestPrintLists(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	printLists(&b, []status.List{
		{ID: 1, Name: "Polaris tracker list", Builtin: true, Enabled: true, Rules: 98},
		{ID: 2, Name: "EasyPrivacy", URL: "https://easylist.to/easylist/easyprivacy.txt", Enabled: true, Rules: 55364, LastSuccess: now.Add(-3 * time.Hour), Interval: 96 * time.Hour},
		{ID: 3, Name: "DDG", URL: "https://x.example/tds.json", NonCommercial: true, Enabled: false, Interval: 24 * time.Hour, LastTry: now.Add(-time.Minute * 5), LastError: "the server answered 503"},
	}, now)
	out := b.String()
	for _, want := range []string{
		"1   yes  98      built in  -      Polaris tracker list",
		"2   yes  55,364  3 h ago   4d     EasyPrivacy",
		"3   no   -       never     1d     DDG (non-commercial licence)",
		"list 3: last update failed 5 min ago: the server answered 503",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("printLists output lacks %q:\n%s", want, out)
		}
	}
}

// polaris stats asks for HTTPS filtering only when it is off (issue 13,
// defect 9).
func TestStatsHintFollowsFiltering(t *testing.T) {
	day := time.Date(2026, 1, 2, 0, 0, 0, 0, time.Local)
	counts := []status.DayCount{{Day: day, Total: 5, Requests: 50}}
	for _, filtering := range []bool{false, true} {
		var b bytes.Buffer
		printStats(&b, counts, nil, 1, false, filtering)
		asks := strings.Contains(b.String(), "https.filter on")
		if asks == filtering {
			t.Errorf("filtering %v: output asks to turn it on: %v\n%s", filtering, asks, b.String())
		}
	}
}

// listsBackend is the part of a Backend that `polaris lists add` uses: it
// answers AddListSource with add; any other call panics (the embedded nil
// Backend).
type listsBackend struct {
	Backend
	add func() (status.List, error)
}

func (b *listsBackend) Writable() error { return nil }
func (b *listsBackend) AddListSource(context.Context, string, string) (status.List, error) {
	return b.add()
}
func (b *listsBackend) Close() error { return nil }

// A list whose server could not be reached stays subscribed (issue 16):
// the command says so and when it is downloaded, and exits 1 as for any
// list not downloaded; a list refused says nothing was added.
func TestListsAddNotDownloaded(t *testing.T) {
	for _, tt := range []struct {
		name     string
		add      func() (status.List, error)
		want     []string
		wantNot  string
		wantCode int
	}{
		{"offline", func() (status.List, error) {
			return status.List{ID: 7, Name: "http://127.0.0.1:1/l.txt"}, fmt.Errorf("%w: %w", status.ErrNotDownloaded,
				errors.New("http://127.0.0.1:1/l.txt: dial tcp 127.0.0.1:1: connect: connection refused"))
		}, []string{"could not be downloaded yet", "connection refused", "list 7 stays subscribed", "can reach the list's server", "polaris lists update 7"}, "", ExitError},
		{"refused", func() (status.List, error) {
			return status.List{}, errors.New("nothing was added: the server sent a web page instead of the list")
		}, []string{"nothing was added"}, "stays subscribed", ExitError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := &listsBackend{add: tt.add}
			var out, errOut bytes.Buffer
			e := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
				DefaultDataDir: func() (string, error) { return t.TempDir(), nil },
				Open:           func(context.Context, Options) (Backend, error) { return b, nil }}
			code := Main(e, []string{"lists", "add", "http://127.0.0.1:1/l.txt"})
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut.String())
				}
			}
			if tt.wantNot != "" && strings.Contains(errOut.String(), tt.wantNot) {
				t.Errorf("stderr has %q:\n%s", tt.wantNot, errOut.String())
			}
		})
	}
}
