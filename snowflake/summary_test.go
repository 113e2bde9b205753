// SPDX-License-Identifier: GPL-3.0-or-later

package snowflake

import (
	"strings"
	"testing"
	"time"
)

func TestParseSummary(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Summary
		ok   bool
	}{
		{"2026/12/07 06:50:00 In the last 1h0m0s, there were 3 connections. Traffic Relayed ↑ 5 KB, ↓ 2 KB.", Summary{time.Hour, 3}, true},
		{"In the last 1s, there were 0 connections. Traffic Relayed ↑ 0 B, ↓ 0 B.", Summary{time.Second, 0}, true},
		{"2026/12/07 06:50:00 In the last 10m0s, there were 12 completed connections. Traffic Relayed ↓ 1 MB (1.7 KB/s), ↑ 3 MB (5 KB/s).", Summary{10 * time.Minute, 12}, true},
		{"In the last 1m0s, there were 1 connection.", Summary{time.Minute, 1}, true},
		{"2026/12/07 06:50:00 Proxy starting", Summary{}, false},
		{"2026/12/07 06:50:00 NAT type: unknown", Summary{}, false},
		{"In the last forever, there were 3 connections.", Summary{}, false},
		{"In the last 1h, there were -3 connections.", Summary{}, false},
		{"In the last 1h, there were 99999999999999999999999 connections.", Summary{}, false},
		{"In the last 1h, there were 3", Summary{}, false},
		{"", Summary{}, false},
	} {
		t.Run(tc.line, func(t *testing.T) {
			got, ok := ParseSummary(tc.line)
			if ok != tc.ok || got != tc.want {
				t.Errorf("ParseSummary(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseSummary(f *testing.F) {
	f.Add("2026/12/07 06:50:00 In the last 1h0m0s, there were 3 connections. Traffic Relayed ↑ 5 KB, ↓ 2 KB.")
	f.Add("In the last 10m0s, there were 12 completed connections.")
	f.Add("In the last 9999999999h, there were 3 connections.")
	f.Add("Proxy starting")
	f.Fuzz(func(t *testing.T, line string) {
		s, ok := ParseSummary(line)
		if !ok {
			if s != (Summary{}) {
				t.Fatalf("not a summary but %+v", s)
			}
			return
		}
		if s.Connections < 0 || s.Connections > maxConnections || s.Period < 0 {
			t.Fatalf("%q: out of range %+v", line, s)
		}
		if !strings.Contains(line, "In the last ") {
			t.Fatalf("%q: a summary without its words", line)
		}
	})
}
