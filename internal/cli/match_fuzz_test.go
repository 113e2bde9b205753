// SPDX-License-Identifier: GPL-3.0-or-later

package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// FuzzReadRequests feeds arbitrary input to `polaris match`'s request
// reader (TSV with a header, or JSON lines): it never panics, reports each
// bad line with its number, and never loses a good one.
func FuzzReadRequests(f *testing.F) {
	f.Add("url\tsource_url\ttype\nhttps://a.example/x.js\thttps://b.example/\tscript\n")
	f.Add(`{"url":"https://t.example/p","sourceUrl":"https://s.example/","type":"image"}` + "\n{bad json\n\n")
	f.Add("\t\t\t\t\n" + strings.Repeat("x", 100) + "\r\n")
	f.Fuzz(func(t *testing.T, input string) {
		last := 0
		err := readRequests(strings.NewReader(input), func(line int, in request, err error) {
			if line <= last {
				t.Fatalf("line numbers not increasing: %d after %d", line, last)
			}
			last = line
			if err == nil && in.URL == "" {
				t.Fatalf("line %d accepted without a URL", line)
			}
		})
		if err != nil {
			t.Fatalf("readRequests on in-memory input = %v", err)
		}
	})
}

// FuzzMatchCommand runs the whole command on arbitrary stdin.
func FuzzMatchCommand(f *testing.F) {
	f.Add([]byte("url\tsource_url\ttype\nhttps://ads.example/a.js\thttps://news.example/\tscript\n"))
	f.Add([]byte("{}\n{\"url\":1}\n"))
	dir := f.TempDir()
	list := dir + "/list.txt"
	if err := os.WriteFile(list, []byte("||ads.example^$third-party\n@@||ads.example/ok^\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, stdin []byte) {
		var out, errOut bytes.Buffer
		code := Match([]string{"--list", list}, bytes.NewReader(stdin), &out, &errOut)
		if code != ExitOK && code != ExitUsage {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
	})
}
