// SPDX-License-Identifier: GPL-3.0-or-later

package blocklist

import (
	"strings"
	"testing"
)

// TestJSONListErrorLines checks that bad entries of JSON lists are reported
// with the line they sit on, as bad lines of text lists are.
func TestJSONListErrorLines(t *testing.T) {
	ddg := `{
  "features": {
    "contentBlocking": {"state": "enabled", "exceptions": [
      {"domain": "not a domain"}
    ]},
    "requestBlocklist": {"state": "enabled", "settings": {"blockedRequests": {
      "rb.example": {"rules": [
        {"rule": "rb.example/ok", "domains": ["<all>"]},
        {"rule": "rb.example/x", "domains": ["<all>"], "extra": 1}
      ]}
    }}}
  }
}`
	for _, tc := range []struct {
		name, text string
		want       []string // a piece of the source line of each error, in order
	}{
		{"tds", tdsExamples, []string{`example\\.net\\/bad[`, `teleport`}},
		{"services", servicesJSON, []string{`"not a host"`}},
		{"entities", `{"entities": {
  "A": {"properties": ["a.example"],
        "resources": ["a-cdn.example", "bad host"]}
}}`, []string{`"bad host"`}},
		{"ddg config", ddg, []string{`not a domain`, `"extra": 1`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseString(tc.text, ListMeta{Name: tc.name})
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(tc.text, "\n")
			if len(l.Errors) != len(tc.want) {
				t.Fatalf("errors %v, want %d", l.Errors, len(tc.want))
			}
			for i, e := range l.Errors {
				if e.Line < 1 || e.Line > len(lines) {
					t.Fatalf("error %v: line %d out of range", e, e.Line)
				}
				if !strings.Contains(lines[e.Line-1], tc.want[i]) {
					t.Errorf("error %v: line %d is %q, want the line with %q", e, e.Line, lines[e.Line-1], tc.want[i])
				}
				if !strings.HasPrefix(e.Error(), "line ") {
					t.Errorf("error text %q does not start with its line", e.Error())
				}
			}
		})
	}
}

// TestJSONListSyntaxErrorLine checks that a JSON list that does not decode
// at all says where it broke.
func TestJSONListSyntaxErrorLine(t *testing.T) {
	for _, tc := range []struct {
		format Format
		text   string
		want   string
	}{
		{FormatTDS, "{\"trackers\": {\n  \"a.example\": {\"default\": \"block\",}\n}}", "line 2, column"},
		{FormatDisconnectServices, "{\"categories\": {\n\n  \"Ads\": 7\n}}", "line 3, column"},
		{FormatDisconnectEntities, "{\"entities\": {\n  \"A\": {\"properties\": [1]}}}", "line 2, column"},
		{FormatDDGConfig, "{\"features\": \n{]", "line 2, column"},
	} {
		_, err := ParseString(tc.text, ListMeta{Name: "x", Format: tc.format})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to say %q", tc.format, err, tc.want)
		}
	}
}
